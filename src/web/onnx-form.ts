/**
 * The small form the page shows when an ONNX model arrives: the preprocessing the file does not store (mean, std,
 * size, resize, pixel range, channel order) and the class names, as the CLI's flags give them.
 */
import type { OnnxPrompt } from './formats/onnx-format.ts';
import { parseLabels } from './model-format.ts';
import { parseTriple, type PreprocessOptions, type ResizeChoice } from '../model/preprocess-options.ts';

const presets: Record<string, { mean: string; std: string; scale: string; bgr: boolean }> = {
  imagenet: { mean: '0.485,0.456,0.406', std: '0.229,0.224,0.225', scale: '1', bgr: false },
  unit: { mean: '0,0,0', std: '1,1,1', scale: '1', bgr: false },
  caffe: { mean: '103.939,116.779,123.68', std: '1,1,1', scale: '255', bgr: true },
};

export class OnnxForm {
  private readonly form: HTMLFormElement;

  constructor(private readonly dialog: HTMLDialogElement) {
    this.form = dialog.querySelector('form')!;
    const preset = this.part<HTMLSelectElement>('[data-role=preset]');
    preset.addEventListener('change', () => {
      const chosen = presets[preset.value];
      if (!chosen) return;
      this.field('mean').value = chosen.mean;
      this.field('std').value = chosen.std;
      this.field<HTMLSelectElement>('scale').value = chosen.scale;
      this.field('bgr').checked = chosen.bgr;
    });
  }

  private part<T extends Element>(selector: string): T {
    return this.dialog.querySelector<T>(selector)!;
  }

  private field<T extends HTMLInputElement | HTMLSelectElement = HTMLInputElement>(name: string): T {
    return this.form.elements.namedItem(name) as T;
  }

  /** Shows the form for one model; resolves with its answers, or null when cancelled. */
  readonly ask: OnnxPrompt = (input) => {
    this.part('[data-role=file]').textContent = input.file;
    const size = this.field('size');
    const fixed = input.width !== null && input.height !== null;
    size.value = fixed ? String(input.width) : size.value || '224';
    size.disabled = fixed;
    size.title = fixed ? `the model takes ${input.width}×${input.height} pixels` : 'the model does not fix its input size';
    this.part('[data-role=labels-note]').textContent = input.labelsFile ? `Class names: ${input.labelsFile} (dropped with the model) unless you choose a file.` : 'Without a file the classes are named "class 0", "class 1", …';
    this.field('labels').value = '';
    this.part('[data-role=error]').textContent = '';
    return new Promise((resolve) => {
      const submit = async (event: SubmitEvent) => {
        event.preventDefault();
        if ((event.submitter as HTMLButtonElement | null)?.value === 'cancel') return finish(null);
        const mean = parseTriple(this.field('mean').value, false);
        const std = parseTriple(this.field('std').value, true);
        const problem = typeof mean === 'string' ? `Mean ${mean}` : typeof std === 'string' ? `Std ${std}` : null;
        if (problem || typeof mean === 'string' || typeof std === 'string') {
          this.part('[data-role=error]').textContent = problem;
          return;
        }
        const preprocess: PreprocessOptions = {
          mean,
          std,
          size: fixed ? undefined : Number(size.value),
          resize: this.field<HTMLSelectElement>('resize').value as ResizeChoice,
          scale: Number(this.field<HTMLSelectElement>('scale').value),
          bgr: this.field('bgr').checked,
        };
        const file = this.field('labels').files?.[0];
        finish({ preprocess, labels: file ? parseLabels(await file.text()) : undefined });
      };
      const cancel = () => finish(null);
      const finish = (answer: Awaited<ReturnType<OnnxPrompt>>) => {
        this.form.removeEventListener('submit', submit);
        this.dialog.removeEventListener('cancel', cancel);
        this.dialog.close();
        resolve(answer);
      };
      this.form.addEventListener('submit', submit);
      this.dialog.addEventListener('cancel', cancel);
      this.dialog.showModal();
    });
  };
}
