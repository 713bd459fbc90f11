import { describe, expect, it } from 'vitest';
import { imagenetLabels } from '../src/labels/imagenet.ts';
import { loadKerasH5 } from '../src/loaders/keras-h5.ts';
import { vggArchitecture } from '../src/architectures/vgg.ts';
import type { Layer } from '../src/ops/layers.ts';
import { chain, type Model, type WeightedNode } from '../src/graph/model.ts';
import { caffePreprocess } from '../src/model/preprocess.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { randomInput } from './helpers/nets.ts';
import { writeKerasH5 } from './helpers/writers.ts';

function expectSameWeights(loaded: Model, original: Model): void {
  const weighted = (m: Model) => m.nodes.filter((l): l is WeightedNode => 'weight' in l);
  const [a, b] = [weighted(loaded), weighted(original)];
  expect(a.map((l) => l.name)).toEqual(b.map((l) => l.name));
  a.forEach((layer, i) => {
    expect(layer.weight, `${layer.name}.weight`).toEqual(b[i].weight);
    expect(layer.bias, `${layer.name}.bias`).toEqual(b[i].bias);
  });
}

describe('Keras .h5 VGG loader', () => {
  const arch = vggArchitecture(19, { widths: [4, 8, 8, 8, 8], inputSize: 32, hidden: 16, classes: 10 });
  const model = randomModel(arch, 31);

  it('reads the keras.applications layout (Keras 1 names, HWIO kernels, channels-last fc1) exactly, with Caffe preprocessing', async () => {
    const loaded = await loadKerasH5({ bytes: await writeKerasH5(model, 'keras1'), fileName: 'vgg19_weights_tf_dim_ordering_tf_kernels.h5' });
    expectSameWeights(loaded, model);
    expect(loaded.name).toBe('vgg19');
    expect(loaded.input).toEqual(model.input);
    expect(loaded.preprocess).toEqual({ ...caffePreprocess, width: 32, height: 32 });
    const input = randomInput(3 * 32 * 32, 8);
    expect(forwardReference(loaded, input).get(loaded.output)).toEqual(forwardReference(model, input).get(model.output));
  });

  it('reads Keras 2 save_weights names and whole-model save files (weights under model_weights)', async () => {
    expectSameWeights(await loadKerasH5({ bytes: await writeKerasH5(model, 'keras2') }), model);
    expectSameWeights(await loadKerasH5({ bytes: await writeKerasH5(model, 'keras2', { wrap: true }) }), model);
  });

  it('reads VGG16 and labels 1000 classes in ImageNet (sorted-wnid) order', async () => {
    const vgg16 = randomModel(vggArchitecture(16, { widths: [4, 4, 8, 8, 8], inputSize: 64, hidden: 8, classes: 1000 }), 32);
    const loaded = await loadKerasH5({ bytes: await writeKerasH5(vgg16), arch: 'vgg16' });
    expectSameWeights(loaded, vgg16);
    expect(loaded.labels).toEqual(imagenetLabels);
    await expect(loadKerasH5({ bytes: await writeKerasH5(vgg16), arch: 'vgg19', fileName: 'w.h5' })).rejects.toThrow('w.h5: has 13 convolutions but vgg19 has 16');
  });

  it('rejects what it cannot use, saying why', async () => {
    await expect(loadKerasH5({ bytes: new TextEncoder().encode('<html>Not Found</html>'), fileName: 'x.h5' })).rejects.toThrow('x.h5: is not an HDF5 file (no HDF5 signature)');
    const bytes = await writeKerasH5(model);
    await expect(loadKerasH5({ bytes: bytes.subarray(0, bytes.byteLength >> 1), fileName: 'half.h5' })).rejects.toThrow(/half\.h5: /);
    await expect(loadKerasH5({ bytes: await writeKerasH5(model, 'keras1', { backend: 'theano' }) })).rejects.toThrow(/Theano-ordered kernels/);
    const notop = randomModel(arch, 33);
    Object.assign(notop, chain(notop.nodes.filter((l) => l.kind !== 'dense' && l.kind !== 'softmax' && l.kind !== 'flatten')));
    await expect(loadKerasH5({ bytes: await writeKerasH5(notop) })).rejects.toThrow(/notop.*cannot classify/);
    const other = randomModel(vggArchitecture(19, { widths: [4, 8, 8, 8, 8], inputSize: 32, hidden: 16, classes: 10 }), 34);
    await expect(loadKerasH5({ bytes: await writeKerasH5(other), architecture: vggArchitecture(19, { widths: [4, 8, 8, 8, 16], inputSize: 32, hidden: 16, classes: 10 }) })).rejects.toThrow(
      /dataset block5_conv1\/block5_conv1_W_1:0 has shape \[3,3,8,8\], the layer needs \[3,3,8,16\]/,
    );
  });
});
