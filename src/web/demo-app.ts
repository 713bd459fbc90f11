import type { Rule } from '../ops/common/rules.ts';
import { explanationJson } from '../explain/explain.ts';
import { ExplorerPanel } from '../explorer/explorer-panel.ts';
import { describeChoices, kernelChoicesFor } from '../forward/autotune.ts';
import { browserKernelChoiceStore } from '../forward/kernel-choice-store-browser.ts';
import { createBrowserGpuContext } from '../gpu/device-browser.ts';
import { DeviceLostError } from '../gpu/errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { ImageInputError } from '../image/rgba-image.ts';
import { jsonText } from '../explain/json-text.ts';
import { ModelFormatError } from '../loaders/format-error.ts';
import type { Model } from '../graph/model.ts';
import { mapsSummary } from '../explain/explanation-maps.ts';
import { colormapTable } from '../render/colormap.ts';
import { decodeImageBlob, type Photo } from './decode-browser.ts';
import { saveBlob, saveCanvasPng, saveText, stem } from './downloads.ts';
import { ErrorBanner } from './error-banner.ts';
import { ExplainSession, type CompareMaps, type DeletionCurves, type SessionUpdate } from './explain-session.ts';
import { renderGpuInfo, renderModelInfo } from './gpu-info.ts';
import { LiveCamera } from './live-camera.ts';
import { LoadProgress, megabytes } from './load-progress.ts';
import { LoadCancelled, setOnnxPrompt } from './formats/onnx-format.ts';
import { OnnxForm } from './onnx-form.ts';
import { MapControls } from './map-controls.ts';
import type { ModelProgress, ModelSource } from './model-format.ts';
import { dropHints, modelFormat, modelFormatForFiles, sortDroppedFiles } from './model-formats.ts';
import { modelInputPicture } from './model-input-picture.ts';
import { fetchRegistry, sourceFromQuery, type Registry, type RegistryModel } from './model-registry.ts';
import { FirstRun } from './first-run.ts';
import { hasNumberedLabels, modelLabel } from '../labels/model-labels.ts';
import { resizeFilterDescriptions, resizeFilters, type ResizeFilter } from '../model/preprocess.ts';
import { renderPredictions } from './predictions-view.ts';
import { fetchBytes } from '../loaders/read-bytes.ts';
import { drawResult, type OverlayLayers } from './result-picture.ts';
import { CompareView } from './compare-view.ts';
import { publishResult, publishHooks } from './test-hooks.ts';
import { counted } from '../explain/plural.ts';

type View = 'explain' | 'explorer' | 'split';

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/**
 * The demo page: wires the inputs (model files or URLs, photos, webcam), the session that runs the GPU work, and the
 * views of its results (picture with overlays, predictions, 3D explorer). It holds no GPU logic of its own.
 */
export class DemoApp {
  private session: ExplainSession | null = null;
  private readonly banner = new ErrorBanner(document.querySelector('.error-banner')!);
  private readonly progress = new LoadProgress(byId('model-progress'));
  private readonly explorer = new ExplorerPanel(byId('explorer'));
  private readonly controls: MapControls;
  private readonly colormap = colormapTable('inferno');
  private readonly camera: LiveCamera;
  private readonly compare: CompareView;
  /** What the compare view shows, for the tests: the maps and the latest deletion curves. */
  private compared: { maps: CompareMaps | null; curves: DeletionCurves | null; photo: Photo | null } = { maps: null, curves: null, photo: null };
  private readonly firstRun: FirstRun;
  private registry: Registry = { models: [], gallery: [] };
  private view: View = 'explain';
  private modelLoads = 0;
  /** `?class=N`: explain class N of the first photo instead of its top-1. */
  private initialTarget: number | null = null;
  /** The model-input picture of the current forward pass (the explorer's input slab), made once per forward pass. */
  private inputPicture: { generation: number; canvas: HTMLCanvasElement } | null = null;

  constructor(private readonly params: URLSearchParams) {
    this.controls = new MapControls(
      byId('maps'),
      (settings, interactive) => this.session?.setSettings(settings, interactive),
      () => this.drawPicture(),
    );
    this.compare = new CompareView(byId('compare'), this.colormap, () => void this.showDeletionCurves());
    byId<HTMLInputElement>('compare-toggle').addEventListener('change', (event) => {
      this.compare.visible = (event.target as HTMLInputElement).checked;
      if (this.compare.visible) void this.showCompare();
      else this.compare.clear();
    });
    this.camera = new LiveCamera(
      byId<HTMLVideoElement>('webcam-video'),
      async (frame) => {
        this.session?.setPhoto(frame, true);
        await this.session?.idle();
      },
      (fps) => (byId('fps').textContent = `${fps.toFixed(1)} explanations/s`),
    );
    this.firstRun = new FirstRun(byId('first-run'), {
      progress: (file, received, total) =>
        this.progress.show(`Downloading ${file}`, total ? received / total : null, total ? `${megabytes(received)} of ${megabytes(total)}` : megabytes(received)),
      downloaded: (name) => this.loadDownloaded(name),
      error: (error) => {
        this.progress.hide();
        this.banner.show(error);
      },
    });
    this.explorer.onSave = (png) => saveBlob(png, `${stem(this.session?.forwardPhoto?.name ?? 'photo')}.explorer.png`);
    const target = params.get('class');
    if (target !== null && /^\d+$/.test(target)) this.initialTarget = Number(target);
    setOnnxPrompt(new OnnxForm(byId<HTMLDialogElement>('onnx-form')).ask);
    this.bindInputs();
    this.bindViews();
    byId('model-hint').textContent = `Or drop model files anywhere on the page: ${dropHints().join('; ')}.`;
  }

  async start(): Promise<void> {
    publishHooks(this);
    const registry = fetchRegistry().catch((error) => {
      this.banner.show(error);
      return { models: [], gallery: [] } satisfies Registry;
    });
    let context: GpuContext;
    try {
      context = await createBrowserGpuContext();
    } catch (error) {
      this.banner.show(error);
      byId('gpu-info').textContent = 'No WebGPU adapter.';
      this.setState('no-webgpu');
      return;
    }
    renderGpuInfo(byId('gpu-info'), context, kernelChoicesFor(context, browserKernelChoiceStore));
    void context.device.lost.then((info) => {
      void this.camera.stop();
      this.banner.show(new DeviceLostError(info.reason ?? 'unknown', info.message));
      this.setState('device-lost');
    });
    try {
      this.session = await ExplainSession.create(context, {
        update: (update) => this.showResults(update),
        error: (error) => this.banner.show(error),
        busy: (what) => {
          byId('busy').textContent = what ? `${what}…` : '';
          this.setState(what ? 'busy' : this.session?.explanation ? 'ready' : 'idle');
        },
      });
    } catch (error) {
      this.banner.show(error);
      this.setState('no-webgpu');
      return;
    }
    // Maps as large as the picture is on screen (the stage, in device pixels); the downloads make full-size ones.
    this.session.displaySide = () => {
      const stage = byId('stage');
      return Math.ceil(Math.max(stage.clientWidth, stage.clientHeight, 256) * (window.devicePixelRatio || 1));
    };
    byId<HTMLButtonElement>('tune-kernels').disabled = false;
    this.session.setRule(this.params.get('rule') === 'official' ? 'official' : 'hysm');
    (document.querySelector(`input[name="rule"][value="${this.session.rule}"]`) as HTMLInputElement).checked = true;
    this.session.settings = this.controls.settings;
    this.setState('idle');

    this.registry = await registry;
    this.fillModelList();
    this.fillGallery([...this.registry.gallery, ...(this.params.get('gallery')?.split(',').filter(Boolean) ?? [])]);
    const fromQuery = sourceFromQuery(this.params);
    const chosen = this.registry.models.find((m) => m.id === this.params.get('model')) ?? this.registry.models.find((m) => this.canLoad(m));
    const source = fromQuery ?? chosen;
    if (!source) await this.firstRun.show();
    const loaded = source ? this.loadModelFrom(source) : Promise.resolve();
    const image = this.params.get('image');
    if (image) void this.loadPhotoUrl(image);
    await loaded;
  }

  // ---- models

  private canLoad(source: ModelSource): boolean {
    try {
      modelFormat(source.format);
      return true;
    } catch {
      return false;
    }
  }

  private fillModelList(): void {
    const select = byId<HTMLSelectElement>('model-select');
    (byId('model-load') as HTMLButtonElement).disabled = this.registry.models.length === 0;
    // An empty list says nothing the first-run panel does not say better; a loaded model shows it again.
    select.closest<HTMLElement>('.row')!.hidden = this.registry.models.length === 0 && !this.session?.model;
    if (this.registry.models.length === 0) return;
    select.replaceChildren(
      ...this.registry.models.map((m) => {
        const option = document.createElement('option');
        option.value = m.id;
        const size = m.bytes ? ` (${megabytes(m.bytes)})` : '';
        option.textContent = this.canLoad(m) ? `${m.label}${size}` : `${m.label}: ${m.format} format not supported by this page`;
        option.disabled = !this.canLoad(m);
        return option;
      }),
    );
  }

  /** After the first-run download: the model is in weights/ now; list it and load it. */
  private async loadDownloaded(name: string): Promise<void> {
    this.progress.hide();
    this.registry = await fetchRegistry();
    this.fillModelList();
    const entry: RegistryModel | undefined =
      this.registry.models.find((m) => m.id.startsWith(`${name}/`) && m.format === 'converted') ?? this.registry.models.find((m) => m.id.startsWith(`${name}/`));
    if (!entry) throw new Error(`${name} was downloaded, but the dev server does not list it in weights/; reload the page`);
    this.firstRun.hide();
    await this.loadModelFrom(entry);
  }

  private loadModelFrom(source: ModelSource): Promise<void> {
    return this.loadModel(source.label, 'Downloading', (progress) => modelFormat(source.format).fromUrls(source, progress), 'id' in source ? String(source.id) : null);
  }

  /** Shows the loaded model in the list: its registry entry, or an entry for files dropped or given by URL. */
  private showInList(label: string, id: string | null): void {
    const select = byId<HTMLSelectElement>('model-select');
    select.closest<HTMLElement>('.row')!.hidden = false;
    select.querySelector('option[value="__loaded"]')?.remove();
    select.querySelector('option[value=""]')?.remove();
    if (id === null || !this.registry.models.some((m) => m.id === id)) {
      const option = document.createElement('option');
      option.value = '__loaded';
      option.textContent = label;
      select.prepend(option);
      id = '__loaded';
    }
    select.value = id;
  }

  private async loadModelFiles(files: File[]): Promise<void> {
    const format = modelFormatForFiles(files);
    if (!format) {
      this.banner.show(
        new ModelFormatError(files.map((f) => f.name).join(', '), `not a model this page reads; drop ${dropHints().join('; ')}`),
      );
      return;
    }
    await this.loadModel(files.map((f) => f.name).join(' + '), 'Reading', (progress) => format.fromFiles(files, progress));
  }

  /** Reads a model with a progress bar, uploads it to the GPU, then explains the current photo with it. */
  private async loadModel(label: string, verb: 'Downloading' | 'Reading', read: (progress: ModelProgress) => Promise<Model>, registryId: string | null = null): Promise<void> {
    const load = ++this.modelLoads;
    const current = () => load === this.modelLoads;
    const status = byId('model-status');
    this.banner.clear();
    status.textContent = `Loading ${label}…`;
    this.progress.show(`Loading ${label}`, null);
    try {
      const model = await read((file, loaded, total) => {
        if (!current()) return;
        this.progress.show(`${verb} ${file}`, total ? loaded / total : null, total ? `${megabytes(loaded)} of ${megabytes(total)}` : megabytes(loaded));
      });
      if (!current()) return;
      if (!this.session) throw this.noSession();
      this.progress.show(`Uploading ${model.name} to the GPU`, 0);
      await this.session.setModel(model, (done, total) => {
        if (!current()) return;
        if (done < total) this.progress.show(`Uploading ${model.name} to the GPU`, done / total, `${megabytes(done)} of ${megabytes(total)}`);
        else this.progress.show('Compiling the backtracking kernels', null);
      });
      if (!current()) return;
      renderModelInfo(byId('model-info'), model);
      const shown = registryId !== null ? label : modelLabel(model.name);
      this.showInList(registryId !== null ? label : `${shown} (${label})`, registryId);
      status.textContent = `${shown} is ready: ${counted(model.labels.length, 'class')}, input ${model.input.width}×${model.input.height}.`;
      status.dataset.model = model.name;
      this.showModelNotice(model, verb === 'Reading');
      this.showResizeFilter(model.preprocess.resizeFilter);
      this.firstRun.hide();
      this.setState(this.session.photo ? 'busy' : 'idle');
    } catch (error) {
      if (!current()) return;
      const still = this.session?.model;
      status.textContent = still ? `${modelLabel(still.name)} is still in use.` : 'No model loaded.';
      if (still) status.dataset.model = still.name;
      else delete status.dataset.model;
      if (error instanceof LoadCancelled) status.textContent = `${error.message}. ${status.textContent}`;
      else this.banner.show(error);
    } finally {
      if (current()) this.progress.hide();
    }
  }

  /** Classes without names show as numbers: say so, and how to add the names. */
  private showModelNotice(model: Model, dropped: boolean): void {
    const notice = byId('model-notice');
    notice.hidden = !hasNumberedLabels(model.labels);
    if (notice.hidden) return;
    notice.replaceChildren(
      Object.assign(document.createElement('strong'), { textContent: 'No class names: ' }),
      `this model came without its names file, so its classes show as numbers (class 0 … class ${model.labels.length - 1}). `,
      'Add a names file (one class name per line, in the model\'s output order; darknet\'s is imagenet.shortnames.list or names.txt beside the .cfg): ',
      dropped ? 'drop it together with the model\'s files.' : 'put it beside the model\'s files in weights/ and reload, or drop it with the model\'s files.',
    );
  }

  private showResizeFilter(current: ResizeFilter): void {
    const select = byId<HTMLSelectElement>('resize-filter');
    if (select.options.length === 0) {
      select.replaceChildren(...resizeFilters.map((f) => Object.assign(document.createElement('option'), { value: f, textContent: f, title: resizeFilterDescriptions[f] })));
    }
    select.value = current;
    select.title = resizeFilterDescriptions[current];
    byId('resize-filter-row').hidden = !this.session?.model;
  }

  private noSession(): Error {
    return new Error('WebGPU did not start on this page, so no model can run (see the message above)');
  }

  // ---- photos

  private async loadPhoto(blob: Blob, name: string): Promise<void> {
    try {
      const photo = await decodeImageBlob(blob, name);
      if (this.camera.isRunning) await this.stopCamera();
      this.usePhoto(photo);
    } catch (error) {
      this.banner.show(error);
    }
  }

  private async loadPhotoUrl(url: string): Promise<void> {
    try {
      const bytes = await fetchBytes(url);
      const name = decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() || 'photo');
      await this.loadPhoto(new Blob([bytes as Uint8Array<ArrayBuffer>]), name);
    } catch (error) {
      this.banner.show(error);
    }
  }

  private usePhoto(photo: Photo): void {
    if (!this.session) {
      this.banner.show(this.noSession());
      return;
    }
    this.banner.clear();
    this.session.setPhoto(photo);
    if (this.initialTarget !== null) {
      this.session.target = this.initialTarget;
      this.initialTarget = null;
    }
    // Show the photo at once; the results follow when the GPU is done.
    byId('placeholder').hidden = true;
    this.drawPicture(photo);
    if (!this.session.model) {
      byId('summary').textContent =
        this.registry.models.length > 0
          ? `${photo.name}: load a model to explain it (choose one in the Model panel and click Load).`
          : `${photo.name}: load a model to explain it: ${this.firstRun.nextStep}.`;
    }
  }

  private fillGallery(urls: string[]): void {
    const gallery = byId('gallery');
    gallery.replaceChildren(
      ...urls.map((url) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.title = decodeURIComponent(url.split('/').pop() ?? url);
        const image = document.createElement('img');
        image.src = url;
        image.alt = button.title;
        image.loading = 'lazy';
        button.append(image);
        button.addEventListener('click', () => this.loadPhotoUrl(url));
        return button;
      }),
    );
    gallery.hidden = urls.length === 0;
  }

  private async toggleCamera(): Promise<void> {
    const button = byId('webcam');
    if (this.camera.isRunning) {
      await this.stopCamera();
      return;
    }
    if (!this.session?.model) {
      this.banner.show(new Error('load a model first, then start the webcam'));
      return;
    }
    try {
      await this.camera.start();
      button.textContent = 'Stop webcam';
      button.setAttribute('aria-pressed', 'true');
      byId('placeholder').hidden = true;
    } catch (error) {
      this.banner.show(error);
    }
  }

  private async stopCamera(): Promise<void> {
    await this.camera.stop();
    const button = byId('webcam');
    button.textContent = 'Webcam live';
    button.setAttribute('aria-pressed', 'false');
    byId('fps').textContent = '';
  }

  // ---- results

  private showResults(update: SessionUpdate): void {
    const session = this.session!;
    const { forward, explanation, maps } = session;
    if (!forward || !explanation) return;
    // Redrawn only when they change, so a click on a prediction is never lost to a slider's redraw.
    if (update.forward || update.explanation) {
      renderPredictions(byId('predictions'), forward.predictions, explanation.target, (classIndex) => session.setTarget(classIndex));
    }
    const t = explanation.target;
    const inPhoto = explanation.fixationsInImage.length;
    byId('summary').innerHTML = '';
    byId('summary').append(
      `${session.forwardPhoto?.name}: class ${t.classIndex} `,
      Object.assign(document.createElement('strong'), { textContent: t.label }),
      ` (${(t.probability * 100).toFixed(1)} %) with the ${explanation.rule} rule: `,
      Object.assign(document.createElement('strong'), { textContent: counted(explanation.fixations.length, 'fixation') }),
      ` (${inPhoto} in the photo)${maps ? `, ${maps.kept.length} kept after outlier removal` : ''}.`,
    );
    byId('timings').textContent =
      `forward ${explanation.timings.forwardMs.toFixed(0)} ms · backtrack ${explanation.timings.backtrackMs.toFixed(0)} ms · maps ${session.lastMapsMs.toFixed(0)} ms` +
      ` · ${explanation.layers.length} layers, ${explanation.layers.reduce((s, l) => s + l.nodes.length, 0)} tree nodes`;
    if (maps) this.controls.showResolvedThreshold(maps.threshold);
    this.drawPicture();
    (byId('download-png') as HTMLButtonElement).disabled = false;
    (byId('download-json') as HTMLButtonElement).disabled = false;
    if (update.explanation) this.updateExplorer();
    if (this.compare.visible && (update.explanation || update.maps)) void this.showCompare();
    publishResult(this);
  }

  /** Grad-CAM and CAM beside the fixations' heatmap, for the explanation shown now. */
  private async showCompare(): Promise<void> {
    const session = this.session;
    const photo = session?.forwardPhoto;
    if (!session || !photo) return;
    const maps = await session.compareMaps();
    if (!maps || !this.compare.visible || session.forwardPhoto !== photo) return;
    // The curves stay while the photo, class and rule do (their own forward pass re-publishes the same maps).
    const curves = this.compared.curves;
    const keep = curves !== null && this.compared.photo === photo && curves.target === maps.target && this.compared.maps?.rule === maps.rule;
    this.compare.show(photo, maps, this.colormap, keep);
    this.compared = { maps, curves: keep ? curves : null, photo };
    publishResult(this);
  }

  private async showDeletionCurves(): Promise<void> {
    const session = this.session;
    if (!session) return;
    try {
      const curves = await session.deletionCurves(this.compared.maps);
      if (!curves || !this.compare.visible) return;
      this.compare.showCurves(curves);
      this.compared = { ...this.compared, curves };
      publishResult(this);
    } catch (error) {
      this.banner.show(error);
    }
  }

  private drawPicture(photo: Photo | null = null): void {
    const session = this.session;
    const shown = photo ?? session?.forwardPhoto ?? session?.photo ?? null;
    if (!shown) return;
    const canvas = byId<HTMLCanvasElement>('result-canvas');
    canvas.hidden = false;
    // Shown at the photo's size (fitted to the stage) whatever the resolution the maps were made at.
    canvas.style.width = `min(100%, ${shown.width}px, calc(62vh * ${shown.width / shown.height}))`;
    canvas.style.aspectRatio = `${shown.width} / ${shown.height}`;
    const maps = photo === null && session?.forwardPhoto === shown ? session.maps : null;
    drawResult(canvas, shown, maps, this.controls.layers, this.colormap, session?.displaySide());
  }

  private updateExplorer(): void {
    const session = this.session!;
    const { explanation, forward, forwardPhoto, explainer } = session;
    if (!explanation || !forward || !forwardPhoto || !explainer) return;
    if (this.inputPicture?.generation !== forward.generation) {
      this.inputPicture = { generation: forward.generation, canvas: modelInputPicture(forwardPhoto, forward.geometry, explainer.model.preprocess) };
    }
    this.explorer.setTree(
      { levels: explanation.layers, inputImage: this.inputPicture.canvas, targetLabel: `class ${explanation.target.classIndex} ${explanation.target.label}` },
      (activation) => session.readActivation(activation),
    );
  }

  /** The picture at the photo's own resolution, with full-size maps. */
  private async downloadPng(): Promise<void> {
    const session = this.session;
    const photo = session?.forwardPhoto;
    if (!session?.explanation || !photo) return;
    const canvas = document.createElement('canvas');
    drawResult(canvas, photo, await session.fullMaps(), this.controls.layers, this.colormap);
    await saveCanvasPng(canvas, `${stem(photo.name)}.${session.explanation.rule}.png`);
  }

  private async downloadJson(): Promise<void> {
    const session = this.session;
    const photo = session?.forwardPhoto;
    if (!session?.explanation || !photo || !session.model) return;
    const maps = await session.fullMaps();
    const json = {
      image: { file: photo.name, width: photo.originalWidth, height: photo.originalHeight },
      model: session.model.name,
      preprocess: session.model.preprocess,
      ...explanationJson(session.explanation),
      maps: maps && mapsSummary(maps, photo),
    };
    saveText(jsonText(json), `${stem(photo.name)}.${session.explanation.rule}.json`);
  }

  // ---- wiring

  private async tuneKernels(): Promise<void> {
    const session = this.session;
    if (!session) return;
    const button = byId<HTMLButtonElement>('tune-kernels');
    const status = byId('tune-status');
    button.disabled = true;
    try {
      const result = await session.tune((m) => (status.textContent = `${m.kernel} ${m.candidate}: ${m.ms.toFixed(1)} ms`));
      status.textContent = `Fastest here: ${describeChoices(result.choices)}. Remembered for this adapter.`;
      renderGpuInfo(byId('gpu-info'), session.context, session.kernelChoices);
    } catch (error) {
      status.textContent = '';
      this.banner.show(error);
    } finally {
      button.disabled = false;
    }
  }

  private bindInputs(): void {
    byId<HTMLButtonElement>('tune-kernels').addEventListener('click', () => void this.tuneKernels());
    byId<HTMLInputElement>('photo-file').addEventListener('change', (event) => {
      const input = event.target as HTMLInputElement;
      const file = input.files?.[0];
      if (file) void this.loadPhoto(file, file.name);
      input.value = '';
    });
    byId<HTMLInputElement>('model-files').addEventListener('change', (event) => {
      const input = event.target as HTMLInputElement;
      const files = [...(input.files ?? [])];
      if (files.length > 0) void this.loadModelFiles(files);
      input.value = '';
    });
    byId('model-load').addEventListener('click', () => {
      const id = byId<HTMLSelectElement>('model-select').value;
      const source = this.registry.models.find((m) => m.id === id);
      if (source) void this.loadModelFrom(source);
    });
    byId('webcam').addEventListener('click', () => void this.toggleCamera());
    byId<HTMLSelectElement>('resize-filter').addEventListener('change', (event) => {
      const filter = (event.target as HTMLSelectElement).value as ResizeFilter;
      void this.session?.setResizeFilter(filter).then(() => {
        if (this.session?.model) renderModelInfo(byId('model-info'), this.session.model);
        this.showResizeFilter(filter);
      });
    });
    document.querySelectorAll<HTMLInputElement>('input[name="rule"]').forEach((radio) =>
      radio.addEventListener('change', () => this.session?.setRule(radio.value as Rule)),
    );
    byId('download-png').addEventListener('click', () => void this.downloadPng().catch((error) => this.banner.show(error)));
    byId('download-json').addEventListener('click', () => void this.downloadJson().catch((error) => this.banner.show(error)));

    window.addEventListener('paste', (event) => {
      const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
      if (file) {
        event.preventDefault();
        void this.loadPhoto(file, file.name || 'pasted image');
      }
    });
    const overlay = byId('drop-overlay');
    let depth = 0;
    window.addEventListener('dragenter', (event) => {
      if (!event.dataTransfer?.types.includes('Files')) return;
      depth++;
      overlay.hidden = false;
    });
    window.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) overlay.hidden = true;
    });
    window.addEventListener('dragover', (event) => event.preventDefault());
    window.addEventListener('drop', (event) => {
      event.preventDefault();
      depth = 0;
      overlay.hidden = true;
      void this.handleDrop([...(event.dataTransfer?.files ?? [])]);
    });
  }

  /** A drop may hold a photo, a model's files, or both; anything else is named in an error. */
  async handleDrop(files: File[]): Promise<void> {
    if (files.length === 0) return;
    const { images, modelFiles, unknown } = sortDroppedFiles(files);
    if (unknown.length > 0 && images.length === 0 && modelFiles.length === 0) {
      this.banner.show(new ImageInputError(`${unknown.map((f) => f.name).join(', ')} is neither a photo nor a model file (models: ${dropHints().join('; ')})`));
      return;
    }
    if (modelFiles.length > 0) await this.loadModelFiles(modelFiles);
    if (images.length > 0) await this.loadPhoto(images[0], images[0].name);
  }

  private bindViews(): void {
    const tabs = document.querySelectorAll<HTMLButtonElement>('.tabs [data-view]');
    tabs.forEach((tab) => tab.addEventListener('click', () => this.setView(tab.dataset.view as View)));
    const initial = this.params.get('view');
    if (initial === 'explorer' || initial === 'split') this.setView(initial);
  }

  setView(view: View): void {
    this.view = view;
    document.querySelector('.layout')!.setAttribute('data-view', view);
    document.querySelectorAll<HTMLButtonElement>('.tabs [data-view]').forEach((tab) => tab.setAttribute('aria-selected', String(tab.dataset.view === view)));
    this.explorer.setVisible(view !== 'explain');
  }

  private setState(state: string): void {
    // A lost device stays lost until the page is reloaded.
    if (document.body.dataset.state === 'device-lost') return;
    document.body.dataset.state = state;
  }

  /** For the page's test hooks. */
  get internals() {
    return { session: this.session, explorer: this.explorer, view: this.view, compared: this.compared };
  }
}
