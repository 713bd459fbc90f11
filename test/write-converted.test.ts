import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelFile } from '../src/weights/load-model-node.ts';
import { vggArchitecture } from '../src/architectures/vgg.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { convertModelFile, writeConvertedModel } from '../src/weights/write-converted.ts';
import { randomInput } from './helpers/nets.ts';
import { describeWithSharedData } from './helpers/shared-data.ts';
import { writeKerasH5 } from './helpers/writers.ts';

describe('writing converted models', () => {
  const model = randomModel(vggArchitecture(19, { widths: [4, 8, 8, 8, 8], inputSize: 32, hidden: 16, classes: 10 }), 51);

  it('writes the manifest and binaries, and removes the binaries of an earlier conversion under the same name', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'fixations-write-'));
    const first = await writeConvertedModel(model, folder, { baseName: 'm', maxFileBytes: 4000 });
    expect(first.binFiles.length).toBeGreaterThan(3);
    writeFileSync(join(folder, 'unrelated.bin'), 'keep me');
    const second = await writeConvertedModel(model, folder, { baseName: 'm' });
    expect(second.binFiles).toHaveLength(1);
    expect(readdirSync(folder).sort()).toEqual(['m-00001-of-00001.bin', 'm.fixations.json', 'unrelated.bin']);
    const loaded = await loadModelFile(second.manifestPath);
    const input = randomInput(3 * 32 * 32, 2);
    expect(forwardReference(loaded, input).get(loaded.output)).toEqual(forwardReference(model, input).get(model.output));
  });

  it('converts a Keras .h5 checkpoint beside it by default, keeping its preprocessing', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'fixations-convert-'));
    const h5 = join(folder, 'vgg19_weights_tf_dim_ordering_tf_kernels.h5');
    writeFileSync(h5, await writeKerasH5(model));
    const { written } = await convertModelFile(h5, { arch: 'vgg19' });
    expect(written.manifestPath).toBe(join(folder, 'vgg19.fixations.json'));
    expect(JSON.parse(readFileSync(written.manifestPath, 'utf8')).source).toEqual({ file: 'vgg19_weights_tf_dim_ordering_tf_kernels.h5', format: 'keras-h5' });
    const [fromH5, converted] = [await loadModelFile(h5), await loadModelFile(written.manifestPath)];
    expect(converted.preprocess).toEqual(fromH5.preprocess);
    expect(converted.preprocess.channelOrder).toBe('bgr');
    const input = randomInput(3 * 32 * 32, 3);
    expect(forwardReference(converted, input).get(converted.output)).toEqual(forwardReference(fromH5, input).get(fromH5.output));
  });
});

describeWithSharedData('converting real Tiny Darknet', 'tiny-darknet', (dir) => {
  it('gives a model with the same outputs, letterbox preprocessing and darknet-ordered labels', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fixations-tiny-'));
    const { model, written } = await convertModelFile(`${dir}/tiny.cfg`, { out });
    expect(model.name).toBe('tiny-darknet');
    expect(written.binFiles).toHaveLength(1);
    expect(existsSync(join(out, 'tiny-darknet.fixations.json'))).toBe(true);
    const [original, converted] = [await loadModelFile(`${dir}/tiny.cfg`), await loadModelFile(written.manifestPath)];
    expect(converted.preprocess).toEqual(original.preprocess);
    expect(converted.preprocess).toMatchObject({ resize: 'letterbox', letterboxFill: 0.5, channelOrder: 'rgb', scale: 1 / 255 });
    expect(converted.labels).toEqual(readFileSync(`${dir}/names.txt`, 'utf8').trim().split('\n'));
    const input = randomInput(3 * 224 * 224, 7);
    expect(forwardReference(converted, input).get(converted.output)).toEqual(forwardReference(original, input).get(original.output));
  });
});
