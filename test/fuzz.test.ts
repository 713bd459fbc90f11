/**
 * Fuzz suite (issue 13, "keep it that way"): generated corruptions of every model format and of photos, through
 * fast-check with fixed seeds, each required to end in a correct result or one ModelFormatError / ImageInputError
 * line — never another exception (a stack at the command line), never a hang (every run is timed), never a read
 * outside the model's folder, never an unbounded allocation (sizes are checked before anything is allocated, and
 * every run is timed and its memory watched).
 *
 * The inputs are small seeded models (8×8 inputs), so a few hundred runs take seconds; `FUZZ_RUNS` multiplies the
 * number of runs for a longer search (`FUZZ_RUNS=20 npx vitest run test/fuzz.test.ts`).
 */
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../src/image/decode-node.ts';
import { ImageInputError } from '../src/image/rgba-image.ts';
import { loadConvertedModel } from '../src/loaders/converted.ts';
import { loadDarknet } from '../src/loaders/darknet.ts';
import { ModelFormatError } from '../src/loaders/format-error.ts';
import { loadKerasH5 } from '../src/loaders/keras-h5.ts';
import { loadOnnx } from '../src/loaders/onnx.ts';
import { writeOnnx } from '../src/loaders/onnx/write-onnx.ts';
import { loadModelFile } from '../src/weights/load-model-node.ts';
import { referencedUrl } from '../src/loaders/model-paths.ts';
import { loadVggSafetensors } from '../src/loaders/safetensors.ts';
import { loadTfjs } from '../src/loaders/tfjs.ts';
import { vggArchitecture } from '../src/architectures/vgg.ts';
import { chain, type Architecture, type Model } from '../src/graph/model.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { randomModel, seededRandom } from '../src/graph/random-model.ts';
import { encodeConvertedModel } from '../src/weights/encode-converted.ts';
import { vggCheckpointTensors, writeDarknet, writeKerasH5, writeSafetensors, writeTfjs } from './helpers/writers.ts';

const scale = Math.max(1, Number(process.env.FUZZ_RUNS ?? 1));
const runs = (n: number) => Math.round(n * scale);
/** One run may take this long at most (a hang fails the run, not the suite's time budget). */
const maxRunMs = 3000;
/** Memory one run may leave allocated beyond the baseline (the largest legal input here is a few kB). */
const maxGrowthBytes = 512 * 1024 * 1024;

const arch: Architecture = {
  name: 'fuzz',
  input: { channels: 3, height: 8, width: 8 },
  preprocess: unitRgbPreprocess(8, 8),
  ...chain([
    { kind: 'conv2d', name: 'conv1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 4, activation: 'relu' },
    { kind: 'maxpool', name: 'pool1', size: 2, stride: 2 },
    { kind: 'flatten', name: 'flatten1' },
    { kind: 'dense', name: 'fc1', inFeatures: 64, outFeatures: 3, activation: 'linear' },
    { kind: 'softmax', name: 'softmax' },
  ]),
};
const model = randomModel(arch, 101);

/** A model that loaded: it must be whole (the loaders validate it, so its layers chain and its labels fit). */
function checkLoaded(loaded: Model): void {
  expect(loaded.nodes.length).toBeGreaterThan(0);
  expect(loaded.labels.length).toBeGreaterThan(0);
}

/**
 * Runs one generated case: it must end in a result `check` accepts or in one of `errors`, with a one-line message,
 * within {@link maxRunMs} and without keeping memory.
 */
async function cleanEnd<T>(run: () => T | Promise<T>, errors: (new (...args: never[]) => Error)[], check: (value: T) => void = () => {}): Promise<void> {
  const before = process.memoryUsage();
  const started = performance.now();
  let value: T;
  try {
    value = await run();
  } catch (error) {
    if (!errors.some((kind) => error instanceof kind)) throw new Error(`not a one-line user error but ${(error as Error)?.stack ?? String(error)}`);
    const message = (error as Error).message;
    if (message.includes('\n') || message.length > 2000) throw new Error(`the message is not one line: ${JSON.stringify(message.slice(0, 400))}`);
    value = undefined as T;
  }
  const ms = performance.now() - started;
  if (ms > maxRunMs) throw new Error(`took ${ms.toFixed(0)} ms`);
  const after = process.memoryUsage();
  if (after.arrayBuffers - before.arrayBuffers > maxGrowthBytes) throw new Error(`kept ${after.arrayBuffers - before.arrayBuffers} bytes of array buffers`);
  if (value !== undefined) check(value);
}

// ---- Corruptions ------------------------------------------------------------------------------------------------

/** Byte-level damage: cut short, bits flipped, bytes overwritten with absurd values, garbage appended. */
type Damage =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; flips: { at: number; bit: number }[] }
  | { kind: 'overwrite'; at: number; bytes: Uint8Array }
  | { kind: 'append'; bytes: Uint8Array };

function damage(length: number): fc.Arbitrary<Damage> {
  const at = fc.nat({ max: Math.max(0, length - 1) });
  const absurd = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.constantFrom(new Uint8Array(8).fill(0xff), new Uint8Array([0, 0, 0, 0x80]), new Uint8Array([0xff, 0xff, 0xff, 0x7f])));
  return fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: length }) }),
    fc.record({ kind: fc.constant('flip' as const), flips: fc.array(fc.record({ at, bit: fc.nat({ max: 7 }) }), { minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('overwrite' as const), at, bytes: absurd }),
    fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  );
}

function damaged(bytes: Uint8Array, d: Damage): Uint8Array {
  switch (d.kind) {
    case 'truncate':
      return bytes.slice(0, d.at);
    case 'flip': {
      const out = bytes.slice();
      for (const { at, bit } of d.flips) if (at < out.length) out[at] ^= 1 << bit;
      return out;
    }
    case 'overwrite': {
      const out = bytes.slice();
      const at = Math.min(d.at, out.length);
      out.set(d.bytes.subarray(0, out.length - at), at);
      return out;
    }
    case 'append': {
      const out = new Uint8Array(bytes.length + d.bytes.length);
      out.set(bytes);
      out.set(d.bytes, bytes.length);
      return out;
    }
  }
}

/** Values a careless or hostile file puts where a number, a name or a list belongs. */
const absurdValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 0.5, 2.5, 64.5, 1e39, -1e308, 1e308, 2 ** 53, 2 ** 31, 1e12, '', 'x', '16', '0x10', '../../x', '/etc/passwd', [], {}, [null], [1, 2], [0, 0], [-1, 3]),
  fc.integer({ min: -5, max: 100_000 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Every place in a JSON value where another value can go: [container, key]. */
function slots(value: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []): [Record<string, unknown> | unknown[], string | number][] {
  if (Array.isArray(value)) value.forEach((v, i) => (out.push([value, i]), slots(v, out)));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push([value as Record<string, unknown>, k]), slots(v, out);
  return out;
}

/** A JSON edit: the n-th slot replaced by a value, or deleted. */
const jsonEdit = fc.record({ slot: fc.nat(), value: absurdValue, remove: fc.boolean() });

function editedJson(text: string, edits: { slot: number; value: unknown; remove: boolean }[]): string {
  const json = JSON.parse(text);
  for (const { slot, value, remove } of edits) {
    const all = slots(json);
    if (all.length === 0) break;
    const [container, key] = all[slot % all.length];
    if (remove && !Array.isArray(container)) delete container[key as string];
    else (container as Record<string | number, unknown>)[key] = structuredClone(value);
  }
  return JSON.stringify(json);
}

/** A cfg edit: a line's value replaced by an absurd token, a line dropped or repeated, a section header inserted. */
const cfgEdit = fc.record({
  line: fc.nat(),
  kind: fc.constantFrom('value', 'drop', 'repeat', 'section'),
  token: fc.constantFrom('0', '-1', '0x10', '1e9', '2.5', '', 'abc', '99999999999', '3', '16abc', ' 4', 'leaky', 'mish'),
  section: fc.constantFrom('[maxpool]', '[convolutional]', '[connected]', '[route]', '[softmax]', '[avgpool]', '[net]', '[x'),
});

function editedCfg(text: string, edits: { line: number; kind: string; token: string; section: string }[]): string {
  const lines = text.split('\n');
  for (const e of edits) {
    const i = e.line % lines.length;
    if (e.kind === 'value') lines[i] = lines[i].includes('=') ? `${lines[i].split('=')[0]}=${e.token}` : e.token;
    else if (e.kind === 'drop') lines.splice(i, 1);
    else if (e.kind === 'repeat') lines.splice(i, 0, lines[i]);
    else lines.splice(i, 0, e.section);
  }
  return lines.join('\n');
}

const seeds = { darknet: 1301, tfjs: 1302, safetensors: 1303, converted: 1304, keras: 1305, image: 1306, paths: 1307, urls: 1308, onnx: 1309 };

// ---- Loaders ----------------------------------------------------------------------------------------------------

describe('fuzz: every loader ends in a model or one ModelFormatError line', () => {
  it('darknet: cfg edits and damaged weights', async () => {
    const { cfg, weights } = writeDarknet(model);
    await fc.assert(
      fc.asyncProperty(fc.array(cfgEdit, { maxLength: 3 }), fc.option(damage(weights.length)), async (edits, d) => {
        const files = { cfg: editedCfg(cfg, edits), weights: d ? damaged(weights, d) : weights, cfgName: 'net.cfg', weightsName: 'net.weights' };
        await cleanEnd(() => loadDarknet(files), [ModelFormatError], checkLoaded);
      }),
      { seed: seeds.darknet, numRuns: runs(250) },
    );
  });

  it('tfjs: model.json edits (shapes, names, paths, layers, sizes) and damaged shards', async () => {
    const { modelJson, shards } = writeTfjs(model);
    const [first] = [...shards.keys()];
    await fc.assert(
      fc.asyncProperty(fc.array(jsonEdit, { minLength: 1, maxLength: 3 }), fc.option(damage(shards.get(first)!.length)), async (edits, d) => {
        const damagedShards = new Map(shards);
        if (d) damagedShards.set(first, damaged(shards.get(first)!, d));
        await cleanEnd(() => loadTfjs({ modelJson: editedJson(modelJson, edits), shards: damagedShards, modelJsonName: 'model.json' }), [ModelFormatError], checkLoaded);
      }),
      { seed: seeds.tfjs, numRuns: runs(300) },
    );
  });

  it('safetensors: header edits, a wrong header length, damaged bytes', async () => {
    const vgg = randomModel(vggArchitecture(16, { widths: [2, 2, 2, 2, 2], inputSize: 32, hidden: 4, classes: 3 }), 102);
    const bytes = writeSafetensors(vggCheckpointTensors(vgg, 'torchvision'));
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    const withHeader = (text: string) => {
      const json = new TextEncoder().encode(text);
      const out = new Uint8Array(8 + json.length + bytes.length - 8 - headerLength);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      out.set(bytes.subarray(8 + headerLength), 8 + json.length);
      return out;
    };
    await fc.assert(
      fc.asyncProperty(fc.array(jsonEdit, { maxLength: 2 }), fc.option(damage(bytes.length)), async (edits, d) => {
        let file = edits.length > 0 ? withHeader(editedJson(header, edits)) : bytes;
        if (d) file = damaged(file, d);
        await cleanEnd(() => loadVggSafetensors({ bytes: file, fileName: 'vgg.safetensors' }), [ModelFormatError], checkLoaded);
      }),
      { seed: seeds.safetensors, numRuns: runs(250) },
    );
  });

  it('converted: manifest edits (sizes, offsets, names, preprocessing) and damaged .bin files', async () => {
    const encoded = encodeConvertedModel(model, { baseName: 'm' });
    const bin = encoded.files[0].bytes();
    await fc.assert(
      fc.asyncProperty(fc.array(jsonEdit, { maxLength: 3 }), fc.option(damage(bin.length)), async (edits, d) => {
        const manifest = editedJson(encoded.json, edits);
        const file = d ? damaged(bin, d) : bin;
        const read = async (name: string, expectedBytes: number) => {
          if (name !== encoded.files[0].name) throw new Error(`no file ${name}`);
          // What a reader on disk or over the network does: never hand over more than the manifest lists.
          if (file.length > expectedBytes) throw new ModelFormatError(name, `is ${file.length} bytes, more than ${expectedBytes}`);
          return file;
        };
        await cleanEnd(() => loadConvertedModel(manifest, read, { fileName: 'm.fixations.json' }), [ModelFormatError], checkLoaded);
      }),
      { seed: seeds.converted, numRuns: runs(300) },
    );
  });

  it('ONNX: damaged protobuf bytes, inline and in an external data file', async () => {
    const inline = writeOnnx(model).bytes;
    const external = writeOnnx(model, { externalData: 'fuzz.onnx.data' });
    await fc.assert(
      fc.asyncProperty(damage(inline.length), async (d) => {
        await cleanEnd(() => loadOnnx({ bytes: damaged(inline, d), fileName: 'fuzz.onnx', readExternal: async () => new Uint8Array() }).then((r) => r.model), [ModelFormatError], checkLoaded);
      }),
      { seed: seeds.onnx, numRuns: runs(300) },
    );
    const data = external.externalData!;
    await fc.assert(
      fc.asyncProperty(damage(Math.max(1, data.length)), async (d) => {
        await cleanEnd(() => loadOnnx({ bytes: external.bytes, fileName: 'fuzz.onnx', readExternal: async () => damaged(data, d) }).then((r) => r.model), [ModelFormatError], checkLoaded);
      }),
      { seed: seeds.onnx + 100, numRuns: runs(100) },
    );
  });

  it('Keras .h5: damaged HDF5 files', async () => {
    const vgg = randomModel(vggArchitecture(16, { widths: [2, 2, 2, 2, 2], inputSize: 32, hidden: 4, classes: 3 }), 103);
    const bytes = await writeKerasH5(vgg);
    await fc.assert(
      fc.asyncProperty(damage(bytes.length), async (d) => {
        await cleanEnd(() => loadKerasH5({ bytes: damaged(bytes, d), fileName: 'vgg.h5' }), [ModelFormatError], checkLoaded);
      }),
      { seed: seeds.keras, numRuns: runs(60) },
    );
  });
});

// ---- Files a manifest names ------------------------------------------------------------------------------------

const segment = fc.constantFrom('..', '.', '', 'outside', 'models', 'm', 'sub', 'link', 'zero', 'group1-shard1of2.bin', 'group1-shard2of2.bin', 'etc', 'passwd', 'dev', '%2e%2e', 'C:', 'file:', '\\..', '~', ' ', '?x', '#');
const trickyPath = fc.oneof(
  fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('/')),
  fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
  fc.constantFrom('sub/group1-shard1of2.bin', 'sub/group1-shard2of2.bin', 'link/group1-shard1of2.bin', '../../outside/group1-shard1of2.bin', '/dev/zero', 'zero', '/etc/passwd', 'file:///etc/passwd', 'http://elsewhere/x.bin'),
  fc.string({ maxLength: 12 }),
);

describe('fuzz: files a manifest names are read only inside its folder', () => {
  it('tfjs model.json shard paths: path tricks, links to outside and to /dev/zero', async () => {
    const { modelJson, shards } = writeTfjs(model);
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'fixations-fuzz-paths-')));
    const folder = join(root, 'models', 'm');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    mkdirSync(join(root, 'outside'));
    // Valid shards inside (under sub/) and outside: a load that succeeds through a path leading outside would go unseen
    // if only the outside ones were valid, so the property checks where every path it used really is.
    for (const [name, bytes] of shards) {
      writeFileSync(join(folder, 'sub', name), bytes);
      writeFileSync(join(root, 'outside', name), bytes);
      writeFileSync(join(root, name), bytes);
    }
    symlinkSync(join(root, 'outside'), join(folder, 'link'));
    symlinkSync('/dev/zero', join(folder, 'zero'));
    const json = JSON.parse(modelJson);
    await fc.assert(
      fc.asyncProperty(trickyPath, trickyPath, async (a, b) => {
        json.weightsManifest[0].paths = [a, b];
        writeFileSync(join(folder, 'model.json'), JSON.stringify(json));
        await cleanEnd(() => loadModelFile(join(folder, 'model.json')), [ModelFormatError], () => {
          for (const path of [a, b]) {
            const real = realpathSync(join(folder, path));
            const inside = relative(folder, real);
            expect(inside.startsWith('..') || isAbsolute(inside), `${path} → ${real}`).toBe(false);
          }
        });
      }),
      { seed: seeds.paths, numRuns: runs(150) },
    );
  });

  it('URLs of files a manifest names stay in its folder and origin', () => {
    const base = 'http://host/models/m/model.json';
    fc.assert(
      fc.property(fc.oneof(trickyPath, fc.webUrl(), fc.string({ maxLength: 20 })), (path) => {
        let url: string;
        try {
          url = referencedUrl(base, path, 'model.json', 'weight shard');
        } catch (error) {
          expect(error).toBeInstanceOf(ModelFormatError);
          expect((error as Error).message).not.toContain('\n');
          return;
        }
        expect(new URL(url).origin).toBe('http://host');
        expect(new URL(url).pathname.startsWith('/models/m/')).toBe(true);
      }),
      { seed: seeds.urls, numRuns: runs(1000) },
    );
  });
});

// ---- Photos -----------------------------------------------------------------------------------------------------

describe('fuzz: photo decoding ends in an image or one ImageInputError line', () => {
  it('damaged PNG, JPEG and WebP files, and absurd declared sizes', async () => {
    const random = seededRandom(104);
    const pixels = Buffer.from(Uint8Array.from({ length: 16 * 12 * 3 }, () => Math.floor(random() * 256)));
    const raw = () => sharp(pixels, { raw: { width: 16, height: 12, channels: 3 } });
    const photos = [await raw().png().toBuffer(), await raw().jpeg().toBuffer(), await raw().webp().toBuffer()].map((b) => new Uint8Array(b));
    // PNG IHDR width and height sit at bytes 16–23: a header that declares a huge picture.
    const huge = photos[0].slice();
    new DataView(huge.buffer).setUint32(16, 0x7fffffff);
    new DataView(huge.buffer).setUint32(20, 0x7fffffff);
    photos.push(huge);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: photos.length - 1 }), fc.option(damage(Math.min(...photos.map((p) => p.length)))), async (which, d) => {
        const bytes = d ? damaged(photos[which], d) : photos[which];
        await cleanEnd(() => decodeImage(bytes, 'photo'), [ImageInputError], (image) => {
          expect(image.width).toBeGreaterThan(0);
          expect(image.height).toBeGreaterThan(0);
          expect(image.data.length).toBe(image.width * image.height * 4);
        });
      }),
      // Found by this suite: libvips repeats its JPEG warnings on several lines, which reached the message.
      { seed: seeds.image, numRuns: runs(120), examples: [[1, { kind: 'flip', flips: [{ at: 140, bit: 0 }] }]] },
    );
  });
});
