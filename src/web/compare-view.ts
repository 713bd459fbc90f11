import type { RgbaImage } from '../image/rgba-image.ts';
import { heatmapOverlay } from '../render/overlays.ts';
import type { CompareEntry, CompareMaps, DeletionCurves } from './explain-session.ts';
import { photoScaledTo } from './result-picture.ts';

const titles: Record<CompareEntry['method'], string> = { fixations: 'Fixations', gradcam: 'Grad-CAM', cam: 'CAM' };
const curveColours: Record<CompareEntry['method'], string> = { fixations: '#ff5a5a', gradcam: '#5ab4ff', cam: '#7ee07e' };

/**
 * The compare switch's view: the fixations' heatmap, Grad-CAM and CAM side by side over the photo, one colour scale
 * (each map min–max normalised to [0, 1], the same colour map), and on request each one's deletion curve.
 */
export class CompareView {
  private readonly figures: HTMLElement;
  private readonly chart: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    colormap: Uint8Array,
    onCurves: () => void,
  ) {
    this.figures = root.querySelector('[data-role=figures]')!;
    this.chart = root.querySelector('[data-role=curves]')!;
    root.querySelector('[data-role=deletion]')!.addEventListener('click', onCurves);
    const stops = Array.from({ length: 9 }, (_, i) => {
      const k = Math.round((i / 8) * 255) * 3;
      return `rgb(${colormap[k]}, ${colormap[k + 1]}, ${colormap[k + 2]}) ${(i / 8) * 100}%`;
    });
    root.querySelector<HTMLElement>('[data-role=scale]')!.style.background = `linear-gradient(to right, ${stops.join(', ')})`;
  }

  set visible(on: boolean) {
    this.root.hidden = !on;
  }

  get visible(): boolean {
    return !this.root.hidden;
  }

  show(photo: RgbaImage, compare: CompareMaps, colormap: Uint8Array, keepCurves = false): void {
    this.figures.replaceChildren(...compare.entries.map((entry) => figure(photo, entry, colormap)));
    if (!keepCurves) this.chart.replaceChildren();
  }

  clear(): void {
    this.figures.replaceChildren();
    this.chart.replaceChildren();
  }

  showCurves(result: DeletionCurves): void {
    const chart = curvesSvg(result);
    const legend = document.createElement('p');
    legend.className = 'hint';
    legend.dataset.testid = 'deletion-aucs';
    legend.append(`Deletion, class ${result.target}, ${result.steps} steps: area under the curve (lower is more faithful) — `);
    result.curves.forEach((c, i) => {
      const key = Object.assign(document.createElement('span'), { textContent: `${titles[c.method]} ${c.auc.toFixed(3)}` });
      key.style.color = curveColours[c.method];
      legend.append(...(i > 0 ? [' · ', key] : [key]));
    });
    this.chart.replaceChildren(chart, legend);
  }
}

function figure(photo: RgbaImage, entry: CompareEntry, colormap: Uint8Array): HTMLElement {
  const element = document.createElement('figure');
  element.dataset.method = entry.method;
  const caption = document.createElement('figcaption');
  caption.textContent = titles[entry.method] + (entry.layerMap ? ` at ${entry.layerMap.tensor} (${entry.layerMap.width}×${entry.layerMap.height})` : '');
  if (!entry.map) {
    const reason = document.createElement('p');
    reason.className = 'hint';
    reason.dataset.role = 'unavailable';
    reason.textContent = entry.reason ?? 'not available for this model';
    element.append(reason, caption);
    return element;
  }
  const canvas = document.createElement('canvas');
  canvas.width = entry.width;
  canvas.height = entry.height;
  const base = photoScaledTo(photo, entry.width, entry.height);
  const picture = heatmapOverlay(base, entry.map, colormap);
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(picture.data), entry.width, entry.height), 0, 0);
  element.append(canvas, caption);
  return element;
}

/** The curves as an inline SVG: probability of the class against the fraction of pixels blurred. */
function curvesSvg(result: DeletionCurves): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const [w, h, left, bottom] = [360, 180, 36, 24];
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'Deletion curves');
  const top = Math.max(1e-6, ...result.curves.flatMap((c) => c.probabilities));
  const x = (i: number, n: number) => left + (i / (n - 1)) * (w - left - 8);
  const y = (p: number) => 8 + (1 - p / top) * (h - bottom - 8);
  const add = (tag: string, attributes: Record<string, string | number>, text?: string) => {
    const element = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attributes)) element.setAttribute(k, String(v));
    if (text) element.textContent = text;
    svg.append(element);
  };
  add('line', { x1: left, y1: y(0), x2: w - 8, y2: y(0), stroke: '#888' });
  add('line', { x1: left, y1: y(0), x2: left, y2: y(top), stroke: '#888' });
  add('text', { x: 2, y: y(top) + 4, fill: '#aaa', 'font-size': 10 }, top.toFixed(2));
  add('text', { x: 2, y: y(0), fill: '#aaa', 'font-size': 10 }, '0');
  add('text', { x: left, y: h - 6, fill: '#aaa', 'font-size': 10 }, 'share of pixels blurred: 0 → 1');
  for (const curve of result.curves) {
    const points = curve.probabilities.map((p, i) => `${x(i, curve.probabilities.length).toFixed(1)},${y(p).toFixed(1)}`).join(' ');
    add('polyline', { points, fill: 'none', stroke: curveColours[curve.method], 'stroke-width': 2, 'data-method': curve.method });
  }
  return svg;
}
