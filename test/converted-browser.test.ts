import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchConvertedModel, loadDroppedConvertedModel } from '../src/loaders/converted-browser.ts';
import { vggArchitecture } from '../src/architectures/vgg.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { encodeConvertedModel } from '../src/weights/encode-converted.ts';
import { startFileServer, type FileServer } from './helpers/file-server.ts';
import { randomInput } from './helpers/nets.ts';

describe('converted models in the browser: fetched from weights/ or dropped as files', () => {
  const model = randomModel(vggArchitecture(19, { widths: [4, 8, 8, 8, 8], inputSize: 32, hidden: 16, classes: 10 }), 71);
  const encoded = encodeConvertedModel(model, { baseName: 'demo', maxFileBytes: 16_000 });
  const total = encoded.files.reduce((s, f) => s + f.size, 0);
  const input = randomInput(3 * 32 * 32, 9);
  const expected = forwardReference(model, input).get(model.output);
  let server: FileServer;

  beforeAll(async () => {
    server = await startFileServer(
      new Map([
        ['/weights/demo/demo.fixations.json', { body: new TextEncoder().encode(encoded.json) }],
        ...encoded.files.map((f) => [`/weights/demo/${f.name}`, { body: f.bytes() }] as const),
      ]),
    );
  });
  afterAll(() => server.close());

  it('fetches the manifest and its binary files from beside it, reporting bytes', async () => {
    const progress: number[] = [];
    const loaded = await fetchConvertedModel(server.url('/weights/demo/demo.fixations.json'), (done, all) => {
      expect(all).toBe(total);
      progress.push(done);
    });
    expect(forwardReference(loaded, input).get(loaded.output)).toEqual(expected);
    expect(progress.at(-1)).toBe(total);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1])).toBe(true);
  });

  it('says what to run when the model is not there', async () => {
    await expect(fetchConvertedModel(server.url('/weights/vgg19/vgg19.fixations.json'))).rejects.toThrow(
      /vgg19\.fixations\.json: cannot be fetched \(.* answered 404 Not Found\); run "npx fixations weights get <name>"/,
    );
  });

  it('loads dropped files, and names a .bin file that was not dropped', async () => {
    const files = [new File([encoded.json], 'demo.fixations.json'), ...encoded.files.map((f) => new File([f.bytes()], f.name))];
    const loaded = await loadDroppedConvertedModel(files);
    expect(forwardReference(loaded, input).get(loaded.output)).toEqual(expected);
    await expect(loadDroppedConvertedModel(files.slice(0, -1))).rejects.toThrow(
      `${encoded.files.at(-1)!.name}: was not among the dropped files; drop demo.fixations.json together with all its .bin files`,
    );
    await expect(loadDroppedConvertedModel(files.slice(1))).rejects.toThrow(/hold 0 \*\.fixations\.json files; drop exactly one/);
    const truncated = [...files.slice(0, -1), new File([encoded.files.at(-1)!.bytes().subarray(0, 100)], encoded.files.at(-1)!.name)];
    await expect(loadDroppedConvertedModel(truncated)).rejects.toThrow(/is 100 bytes but demo\.fixations\.json says \d+: truncated/);
  });
});
