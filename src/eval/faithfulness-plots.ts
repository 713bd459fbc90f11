/**
 * The faithfulness plots as PNGs: charts drawn as SVG and rasterised by sharp (librsvg), panels composed by sharp from
 * the overlays of src/render/. Every file is written atomically inside the folder given.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../files/atomic-write-node.ts';
import type { RgbaImage } from '../image/rgba-image.ts';
import { colormapTable } from '../render/colormap.ts';
import { fixationsOverlay, heatmapOverlay } from '../render/overlays.ts';
import type { FaithfulnessResult, KeptPhoto } from './faithfulness.ts';

const palette: Record<string, string> = {
  'fixations-hysm': '#d62728',
  'fixations-official': '#ff7f0e',
  gradcam: '#1f77b4',
  cam: '#17becf',
  centre: '#2ca02c',
  random: '#7f7f7f',
};
const colourOf = (method: string, i: number) => palette[method] ?? ['#9467bd', '#8c564b', '#e377c2', '#bcbd22'][i % 4];

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

export interface Series {
  name: string;
  /** y values; x is their index unless `x` is given. */
  y: (number | null)[];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Tick labels along x, one per point (categorical), or null for a 0 … 1 axis over the points. */
  categories: string[] | null;
  yRange: [number, number];
  /** Spacing of the horizontal grid lines (default: five intervals). */
  yStep?: number;
}

/** A line chart as SVG text: one polyline per series, a legend with each series' name (and `legend` suffix). */
export function lineChartSvg(series: Series[], options: ChartOptions, legend: (s: Series) => string = (s) => s.name): string {
  const width = 720;
  const height = 440;
  const m = { left: 64, right: 200, top: 40, bottom: options.categories ? 110 : 56 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const points = Math.max(2, ...series.map((s) => s.y.length));
  const xOf = (i: number) => m.left + (plotW * i) / (points - 1);
  const [y0, y1] = options.yRange;
  const yOf = (v: number) => m.top + plotH * (1 - (v - y0) / (y1 - y0));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${m.left}" y="24" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  const intervals = options.yStep ? Math.round((y1 - y0) / options.yStep) : 5;
  for (let t = 0; t <= intervals; t++) {
    const v = y0 + ((y1 - y0) * t) / intervals;
    parts.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${yOf(v)}" y2="${yOf(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.left - 6}" y="${yOf(v) + 4}" text-anchor="end">${(Math.abs(v) < 1e-9 ? 0 : v).toFixed(2)}</text>`);
  }
  if (options.categories) {
    options.categories.forEach((label, i) => {
      const x = xOf(i);
      parts.push(`<line x1="${x}" x2="${x}" y1="${m.top + plotH}" y2="${m.top + plotH + 4}" stroke="black"/>`);
      parts.push(`<text transform="translate(${x + 4},${m.top + plotH + 8}) rotate(60)" font-size="10">${escapeXml(label)}</text>`);
    });
  } else {
    for (let t = 0; t <= 4; t++) {
      const x = m.left + (plotW * t) / 4;
      parts.push(`<text x="${x}" y="${m.top + plotH + 18}" text-anchor="middle">${(t / 4).toFixed(2)}</text>`);
    }
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="black"/>`);
  parts.push(`<text x="${m.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  parts.push(`<text transform="translate(16,${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`);
  series.forEach((s, i) => {
    const colour = colourOf(s.name, i);
    // A null (undefined ρ) breaks the line.
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${run.join(' ')}"/>`);
      if (run.length === 1) parts.push(`<circle cx="${run[0].split(',')[0]}" cy="${run[0].split(',')[1]}" r="2.5" fill="${colour}"/>`);
      run = [];
    };
    s.y.forEach((v, k) => {
      if (v === null || !Number.isFinite(v)) return flush();
      run.push(`${xOf(k).toFixed(1)},${yOf(Math.min(y1, Math.max(y0, v))).toFixed(1)}`);
    });
    flush();
    const ly = m.top + 10 + 20 * i;
    parts.push(`<line x1="${m.left + plotW + 12}" x2="${m.left + plotW + 36}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="3"/>`);
    parts.push(`<text x="${m.left + plotW + 42}" y="${ly + 4}">${escapeXml(legend(s))}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png().toBuffer();
}

function raw(image: RgbaImage) {
  return { input: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), raw: { width: image.width, height: image.height, channels: 4 as const } };
}

/** photo | fixations | fixations heatmap | Grad-CAM | CAM for one photo; a method not run shows "not run". */
export async function photoPanel(kept: KeptPhoto, colormap = colormapTable('inferno')): Promise<Buffer> {
  const { photo } = kept;
  const fixations = kept.maps.find((m) => m.method === 'fixations-hysm') ?? kept.maps.find((m) => m.method.startsWith('fixations'));
  const byName = (name: string) => kept.maps.find((m) => m.method === name);
  const tiles: { title: string; image: RgbaImage | null }[] = [
    { title: 'photo', image: photo },
    { title: fixations ? `${fixations.method} (${fixations.points?.kept.length ?? 0})` : 'fixations', image: fixations?.points ? fixationsOverlay(photo, fixations.points.kept, fixations.points.removed) : null },
    { title: 'fixations heatmap', image: fixations ? heatmapOverlay(photo, fixations.photo, colormap) : null },
    { title: 'Grad-CAM', image: byName('gradcam') ? heatmapOverlay(photo, byName('gradcam')!.photo, colormap) : null },
    { title: 'CAM', image: byName('cam') ? heatmapOverlay(photo, byName('cam')!.photo, colormap) : null },
  ];
  const gap = 8;
  const titleH = 22;
  const width = tiles.length * photo.width + (tiles.length + 1) * gap;
  const height = photo.height + titleH + 2 * gap;
  const labels = tiles
    .map((t, i) => {
      const x = gap + i * (photo.width + gap) + photo.width / 2;
      const empty = t.image ? '' : `<text x="${x}" y="${titleH + gap + photo.height / 2}" text-anchor="middle" fill="#888">not run</text>`;
      return `<text x="${x}" y="${titleH - 6}" text-anchor="middle">${escapeXml(t.title)}</text>${empty}`;
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif" font-size="13">${labels}</svg>`;
  const composites: import('sharp').OverlayOptions[] = [{ input: Buffer.from(svg), left: 0, top: 0 }];
  tiles.forEach((t, i) => {
    if (t.image) composites.push({ ...raw(t.image), left: gap + i * (photo.width + gap), top: titleH + gap });
  });
  return sharp({ create: { width, height, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 1 } } })
    .composite(composites)
    .png()
    .toBuffer();
}

/** A file name from a photo's name: letters, digits, dots and dashes. */
const safeName = (file: string) => file.replace(/[^A-Za-z0-9._-]+/g, '_');

/** Writes deletion.png, insertion.png, sanity.png (when the check ran) and panel-<photo>.png into `dir`. */
export async function writeFaithfulnessPlots(dir: string, result: FaithfulnessResult, modelName: string): Promise<string[]> {
  const written: string[] = [];
  const write = async (name: string, data: Buffer) => {
    await writeFileAtomic(join(dir, name), data);
    written.push(name);
  };
  const names = Object.keys(result.methods);
  const n = result.photos.length;
  for (const curve of ['deletion', 'insertion'] as const) {
    const series = names.map((name) => ({ name, y: result.methods[name][curve === 'deletion' ? 'deletionCurve' : 'insertionCurve'] }));
    const auc = (s: Series) => `${s.name} ${result.methods[s.name][curve === 'deletion' ? 'deletionAuc' : 'insertionAuc'].toFixed(3)}`;
    const svg = lineChartSvg(
      series,
      {
        title: `${curve === 'deletion' ? 'Deletion' : 'Insertion'} (${modelName}, ${n} photos; legend: AUC)`,
        xLabel: `fraction of pixels ${curve === 'deletion' ? 'removed (blurred)' : 'inserted into the blurred copy'}`,
        yLabel: 'probability of the target class (mean)',
        categories: null,
        yRange: [0, Math.max(0.05, ...series.flatMap((s) => s.y))],
      },
      auc,
    );
    await write(`${curve}.png`, await svgToPng(svg));
  }
  if (result.sanityLayers.length > 0) {
    const series = names.map((name) => ({ name, y: [1, ...result.sanityLayers.map((l) => result.methods[name].sanity[l])] }));
    const lowest = Math.min(0, ...series.flatMap((s) => s.y.filter((v): v is number => v !== null)));
    const svg = lineChartSvg(series, {
      title: `Sanity check: cascading randomization (${modelName}, ${result.sanityPhotos} photos)`,
      xLabel: 'weights re-initialised from the top down to this layer',
      yLabel: 'Spearman ρ with the original map (mean)',
      // ONNX names such as /layer3/layer3.2/conv2/Conv shortened to layer3.2/conv2.
      categories: ['original', ...result.sanityLayers.map((l) => l.replace(/^\/(layer\d+\/)?/, '').replace(/\/(Conv|Gemm|MatMul)$/, ''))],
      yRange: [-0.2 * Math.ceil(-lowest / 0.2 - 1e-9), 1],
      yStep: 0.2,
    });
    await write('sanity.png', await svgToPng(svg));
  }
  for (const kept of result.kept) await write(`panel-${safeName(kept.file)}.png`, await photoPanel(kept));
  return written;
}
