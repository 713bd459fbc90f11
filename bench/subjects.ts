/**
 * What the benchmark runs: each subject is a model, a photo (for `explain`) and the input tensor every forward timing
 * and every peer is fed. Described as plain data so that the same subject crosses to the browser page as JSON and
 * is rebuilt there identically (random weights from the same seed, files fetched instead of read).
 */
import { loadDarknet } from '../src/loaders/darknet.ts';
import { loadOnnx } from '../src/loaders/onnx.ts';
import type { PreprocessOptions } from '../src/model/preprocess-options.ts';
import { graphArchitectures } from '../src/architectures/index.ts';
import { vggArchitecture, type VggOptions } from '../src/architectures/vgg.ts';
import type { Model } from '../src/graph/model.ts';
import { randomModel, seededRandom } from '../src/graph/random-model.ts';
import type { RgbaImage } from '../src/image/rgba-image.ts';

export const subjectNames = ['vgg19', 'tiny-darknet', 'vgg-mini', 'resnet50', 'mobilenet_v2', 'model'] as const;
export type SubjectName = (typeof subjectNames)[number];

/** The VGG-shaped net of the tests and smoke runs: VGG19's layer list at toy widths, fast anywhere. */
export const vggMiniOptions: VggOptions = { widths: [4, 8, 8, 8, 8], inputSize: 32, hidden: 16, classes: 10 };

/** Where a subject's model comes from. File locations are paths in Node and URLs in the browser. */
export type ModelSource =
  | { kind: 'random-vgg'; seed: number; options: VggOptions }
  /** A built-in graph architecture (ResNet-50, MobileNetV2) with seeded random weights. */
  | { kind: 'random-graph'; arch: 'resnet50' | 'mobilenet_v2'; seed: number; inputSize: number }
  | { kind: 'darknet'; cfg: string; weights: string; names: string }
  /** `--model net.onnx`, with the preprocessing flags given (external data files lie beside it). */
  | { kind: 'onnx'; model: string; preprocess: PreprocessOptions; names: string | null };

export interface PreparedSubject {
  name: SubjectName;
  /** How the report names it: `VGG19 224×224` or `Tiny Darknet`. */
  label: string;
  source: ModelSource;
  model: Model;
  photo: RgbaImage;
  /** Where the photo came from (file name or `synthetic`). */
  photoName: string;
  /** The forward input in CHW: the photo through the model's own preprocessing (CPU reference). */
  input: Float32Array;
}

/** Reads the bytes at a location of a {@link ModelSource}: `readFile` in Node, `fetch` in the browser. */
export type ReadBytes = (location: string) => Promise<Uint8Array>;

export async function loadSourceModel(source: ModelSource, read: ReadBytes): Promise<Model> {
  if (source.kind === 'random-vgg') {
    return randomModel(vggArchitecture(19, source.options), source.seed);
  }
  if (source.kind === 'random-graph') {
    return randomModel(graphArchitectures[source.arch]({ inputSize: source.inputSize }).architecture, source.seed);
  }
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  const lines = (bytes: Uint8Array) => text(bytes).split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (source.kind === 'onnx') {
    const folder = source.model.replace(/[^/\\]*$/, '');
    const { model } = await loadOnnx({
      bytes: await read(source.model),
      fileName: source.model.split(/[/\\]/).pop()!,
      readExternal: (location) => read(`${folder}${location}`),
      preprocess: source.preprocess,
      labels: source.names ? lines(await read(source.names)) : undefined,
    });
    return model;
  }
  const [cfg, weights, names] = await Promise.all([read(source.cfg), read(source.weights), read(source.names)]);
  return loadDarknet({
    cfg: text(cfg),
    weights,
    labels: lines(names),
    cfgName: 'tiny.cfg',
    weightsName: 'tiny.weights',
    name: 'tiny-darknet',
  });
}

export function vggSource(seed: number, options: VggOptions): ModelSource {
  return { kind: 'random-vgg', seed, options };
}

export function subjectLabel(name: SubjectName, model: Model): string {
  const side = `${model.input.width}×${model.input.height}`;
  if (name === 'vgg19') return `VGG19 ${side}`;
  if (name === 'vgg-mini') return `VGG-mini ${side}`;
  if (name === 'resnet50') return `ResNet-50 ${side}`;
  if (name === 'mobilenet_v2') return `MobileNetV2 ${side}`;
  if (name === 'model') return `${model.name} ${side}`;
  return 'Tiny Darknet';
}

/** The photo of a VGG subject of input side `side`: somewhat larger than the input, so resize and crop do real work. */
export function vggPhoto(side: number, seed: number): RgbaImage {
  return syntheticPhoto(Math.round((side * 10) / 7), Math.round((side * 8) / 7), seed);
}

/**
 * A seeded photo for models with random weights: smooth colour gradients, a few discs and noise, so activations look
 * like a photo's (spatially correlated) rather than white noise.
 */
export function syntheticPhoto(width: number, height: number, seed: number): RgbaImage {
  const random = seededRandom(seed);
  const discs = Array.from({ length: 6 }, () => ({
    x: random() * width,
    y: random() * height,
    r: (0.08 + 0.2 * random()) * Math.min(width, height),
    rgb: [random() * 255, random() * 255, random() * 255],
  }));
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const rgb = [(255 * x) / width, (255 * y) / height, 128 + 100 * Math.sin((x + y) / 17)];
      for (const d of discs) {
        if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.r ** 2) rgb.splice(0, 3, ...d.rgb);
      }
      const p = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) data[p + c] = Math.max(0, Math.min(255, Math.round(rgb[c] + 24 * (random() - 0.5))));
      data[p + 3] = 255;
    }
  }
  return { width, height, data };
}
