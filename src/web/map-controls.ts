import { defaultMapSettings, type MapSettings } from '../postprocess/settings.ts';
import type { OverlayLayers } from './result-picture.ts';

/**
 * The map settings and overlay toggles. Settings changes re-run only the attention kernels (the session's Maps stage);
 * toggles only redraw the picture.
 */
export class MapControls {
  private readonly inputs: Record<string, HTMLInputElement | HTMLSelectElement>;

  constructor(
    private readonly root: HTMLElement,
    /** `interactive` while a slider is being dragged (its `input` events); false when it is let go, and for the rest. */
    onSettings: (settings: MapSettings, interactive: boolean) => void,
    onLayers: (layers: OverlayLayers) => void,
  ) {
    const names = ['fixations', 'heatmap', 'saliency', 'box', 'sigma', 'threshold', 'adaptive', 'outlier-share', 'outlier-radius', 'box-from'];
    this.inputs = Object.fromEntries(names.map((name) => [name, root.querySelector<HTMLInputElement>(`[name="${name}"]`)!]));
    for (const name of ['fixations', 'heatmap', 'saliency', 'box']) this.inputs[name].addEventListener('change', () => onLayers(this.layers));
    for (const name of ['sigma', 'threshold', 'adaptive', 'outlier-share', 'outlier-radius', 'box-from']) {
      const slider = name !== 'adaptive' && name !== 'box-from';
      if (slider) {
        this.inputs[name].addEventListener('input', () => {
          this.showValues();
          onSettings(this.settings, true);
        });
      }
      this.inputs[name].addEventListener('change', () => {
        this.showValues();
        onSettings(this.settings, false);
      });
    }
    this.reset(defaultMapSettings);
  }

  get layers(): OverlayLayers {
    const on = (name: string) => (this.inputs[name] as HTMLInputElement).checked;
    return { fixations: on('fixations'), heatmap: on('heatmap'), saliency: on('saliency'), box: on('box') };
  }

  get settings(): MapSettings {
    const value = (name: string) => Number(this.inputs[name].value);
    return {
      sigma: value('sigma'),
      threshold: (this.inputs.adaptive as HTMLInputElement).checked ? 'adaptive' : value('threshold'),
      outlierShare: value('outlier-share'),
      outlierRadius: value('outlier-radius'),
      boxFrom: this.inputs['box-from'].value as MapSettings['boxFrom'],
    };
  }

  reset(settings: MapSettings): void {
    this.inputs.sigma.value = String(settings.sigma);
    (this.inputs.adaptive as HTMLInputElement).checked = settings.threshold === 'adaptive';
    if (settings.threshold !== 'adaptive') this.inputs.threshold.value = String(settings.threshold);
    this.inputs['outlier-share'].value = String(settings.outlierShare);
    this.inputs['outlier-radius'].value = String(settings.outlierRadius);
    this.inputs['box-from'].value = settings.boxFrom;
    this.showValues();
  }

  /** Shows the threshold the adaptive rule chose for the current maps. */
  showResolvedThreshold(threshold: number): void {
    if ((this.inputs.adaptive as HTMLInputElement).checked) {
      this.inputs.threshold.value = String(threshold);
      this.output('threshold').textContent = `${threshold.toFixed(2)} (adaptive)`;
    }
  }

  private output(name: string): HTMLElement {
    return this.root.querySelector(`output[for="${name}"]`)!;
  }

  private showValues(): void {
    const s = this.settings;
    (this.inputs.threshold as HTMLInputElement).disabled = s.threshold === 'adaptive';
    this.output('sigma').textContent = `${s.sigma} px`;
    if (s.threshold !== 'adaptive') this.output('threshold').textContent = s.threshold.toFixed(2);
    else if (!this.output('threshold').textContent?.includes('adaptive')) this.output('threshold').textContent = 'adaptive';
    this.output('outlier-share').textContent = `${Math.round(s.outlierShare * 100)} %`;
    this.output('outlier-radius').textContent = `${Math.round(s.outlierRadius * 100)} % of diagonal`;
  }
}
