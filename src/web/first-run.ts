/**
 * What the page offers when `weights/` holds no model: the next step, in full. Under `npm start` a button fetches Tiny
 * Darknet through the dev server with `weights get` itself (progress on the page, then the model loads); always the
 * exact command, and, for offline machines, the files to fetch by hand and where `weights get` wants them (from the
 * weights manifest bundled into the page). A built page (no dev server answers) says how to ship or host models.
 */
import manifestJson from '../../weights/manifest.json';
import { parseWeightsManifest, type ManifestModel } from '../weights/manifest.ts';
import { WeightsDownloadError, weightsGetPath, type WeightsGetEvent, type WeightsGetStatus } from './weights-get-protocol.ts';

/** The model the page proposes first: small (a few MB), 1000 ImageNet classes, quick on any GPU. */
export const starterModel = 'tiny-darknet';
export const starterLabel = 'Tiny Darknet';

export interface FirstRunEvents {
  progress(file: string, received: number, total: number | null): void;
  /** The model is downloaded and converted into weights/: list and load it. */
  downloaded(name: string): Promise<void>;
  error(error: unknown): void;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

const code = (text: string) => element('code', { textContent: text });

/** Asks the dev server whether it can run `weights get`: null on a static server (a built page). */
async function devServerStatus(): Promise<WeightsGetStatus | null> {
  try {
    const response = await fetch(weightsGetPath, { cache: 'no-cache' });
    if (!response.ok) return null;
    const status = (await response.json()) as WeightsGetStatus;
    return status.available ? status : null;
  } catch {
    return null;
  }
}

export class FirstRun {
  private readonly entry: ManifestModel | undefined;
  private status: WeightsGetStatus | null = null;
  private button: HTMLButtonElement | null = null;
  private offline: HTMLDetailsElement | null = null;
  private downloading = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly events: FirstRunEvents,
  ) {
    this.entry = parseWeightsManifest(JSON.stringify(manifestJson), 'weights/manifest.json').models.find((m) => m.name === starterModel);
  }

  get command(): string {
    return `npx fixations weights get ${starterModel}`;
  }

  /** What to do next, in one sentence: for the summary line when a photo waits for a model. */
  get nextStep(): string {
    return this.status
      ? `click “Download ${starterLabel}” in the Model panel, or run ${this.command} and reload`
      : `drop a model's files on the page, or build the page with models (see the Model panel)`;
  }

  async show(): Promise<void> {
    this.status = await devServerStatus();
    this.root.replaceChildren(...this.content());
    this.root.hidden = false;
  }

  hide(): void {
    this.root.hidden = true;
  }

  private content(): Node[] {
    const nodes: Node[] = [element('p', { className: 'first-run-title' }, element('strong', { textContent: 'No model in weights/ yet.' }))];
    if (this.status) {
      this.button = element('button', { type: 'button', className: 'button', textContent: `Download ${starterLabel}` });
      this.button.dataset.testid = 'get-model';
      this.button.addEventListener('click', () => void this.download());
      nodes.push(
        element('p', {}, `${starterLabel} (1000 ImageNet classes, a few MB) is the quickest to start with:`),
        element('div', { className: 'row' }, this.button),
        element('p', { className: 'hint' }, 'It runs ', code(this.command), ' in the dev server: the files go to weights/, where the page finds them.'),
      );
    } else {
      nodes.push(
        element('p', {}, 'This page was built without models. To build it with those of weights/, run ', code(`${this.command} && npm run build:weights`), '.'),
        element('p', { className: 'hint' }, 'Or serve models from anywhere and list them in a ', code('weights/models.json'), ' beside the page (README, “Demo”), or link one in the address: ', code('?cfg=…/tiny.cfg&weights=…/tiny.weights&names=…/names.txt'), '.'),
      );
    }
    if (this.entry && this.status) nodes.push(this.offlineHelp(this.entry));
    return nodes;
  }

  /** What `weights get` prints when a download fails: which file to save where, then the same command again. */
  private offlineHelp(entry: ManifestModel): HTMLDetailsElement {
    const folder = this.status ? `${this.status.folder}/${entry.name}` : `weights/${entry.name}`;
    this.offline = element(
      'details',
      { className: 'offline' },
      element('summary', { textContent: 'Offline, or behind a proxy?' }),
      element('p', {}, `Download ${entry.files.length === 1 ? 'this file' : `these ${entry.files.length} files`} with a browser or another machine and save ${entry.files.length === 1 ? 'it' : 'them'} as:`),
      element(
        'ul',
        {},
        ...entry.files.map((file) => element('li', {}, element('a', { href: file.urls[0], textContent: file.name, target: '_blank', rel: 'noopener' }), ' → ', code(`${folder}/${file.name}`))),
      ),
      element('p', {}, 'then run ', code(this.command), ' (it checks and converts them) and reload.'),
    );
    this.offline.dataset.testid = 'offline-help';
    return this.offline;
  }

  private async download(): Promise<void> {
    if (this.downloading || !this.button) return;
    this.downloading = true;
    this.button.disabled = true;
    this.button.textContent = `Downloading ${starterLabel}…`;
    try {
      const response = await fetch(`${weightsGetPath}?name=${encodeURIComponent(starterModel)}`, { method: 'POST' });
      if (!response.ok || !response.body) {
        const text = await response.text().catch(() => '');
        throw new WeightsDownloadError(JSON.parse(text || '{}').message ?? `the dev server answered ${response.status}`);
      }
      let failure: string | null = null;
      let done = false;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = '';
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        buffered += value;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines.filter(Boolean)) {
          const event = JSON.parse(line) as WeightsGetEvent;
          if (event.type === 'progress') this.events.progress(event.file, event.received, event.total);
          else if (event.type === 'error') failure = event.message;
          else if (event.type === 'done') done = true;
        }
      }
      if (failure) throw new WeightsDownloadError(failure);
      if (!done) throw new WeightsDownloadError('the dev server stopped answering before the download finished; is npm start still running?');
      await this.events.downloaded(starterModel);
    } catch (error) {
      if (this.offline) this.offline.open = true;
      this.events.error(error instanceof WeightsDownloadError ? error : new WeightsDownloadError((error as Error).message));
    } finally {
      this.downloading = false;
      this.button.disabled = false;
      this.button.textContent = `Download ${starterLabel}`;
    }
  }
}
