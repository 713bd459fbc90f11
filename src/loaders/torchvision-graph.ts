/**
 * safetensors checkpoints of the built-in graph architectures (ResNet, MobileNetV2, DenseNet-121, GoogLeNet, AlexNet)
 * with torchvision's parameter names, as torchvision's `state_dict()` and timm's `*.tv_in1k` releases have them. The
 * architecture is recognised from the names (or given), its class count read off the classifier; batch norms are
 * folded into the convolutions before them, or become the `batchnorm` nodes' weights.
 */
import { graphArchitectures, isGraphArchitecture, type GraphArchitectureName } from '../architectures/index.ts';
import type { BuiltArchitecture, ParameterSource } from '../architectures/builder.ts';
import { vggBnDepth } from '../architectures/vgg.ts';
import { validateModel, type GraphNode, type Model } from '../graph/model.ts';
import { imagenetLabels } from '../labels/imagenet.ts';
import type { Preprocess } from '../model/preprocess.ts';
import { opOf } from '../ops/registry.ts';
import { foldBatchNorm, ModelFormatError } from './format-error.ts';
import { canonicalNames, openSafetensors, type Safetensors } from './safetensors.ts';

export interface TorchvisionGraphOptions {
  bytes: Uint8Array;
  fileName?: string;
  /** Recognised from the parameter names when absent. */
  arch?: GraphArchitectureName;
  inputSize?: number;
  labels?: string[];
  preprocess?: Preprocess;
}

const resnetDepths: Record<string, 18 | 34 | 50 | 101 | 152> = { '2,2,2,2': 18, '3,4,6,3': 34, 'b3,4,6,3': 50, 'b3,4,23,3': 101, 'b3,8,36,3': 152 };

/** Which built-in network a set of torchvision parameter names belongs to, or null. */
export function recogniseArchitecture(names: ReadonlySet<string>, shape: (name: string) => number[]): GraphArchitectureName | null {
  if (names.has('layer1.0.conv1.weight')) {
    const blocks = [1, 2, 3, 4].map((stage) => {
      let count = 0;
      while (names.has(`layer${stage}.${count}.conv1.weight`)) count++;
      return count;
    });
    const depth = resnetDepths[`${names.has('layer1.0.conv3.weight') ? 'b' : ''}${blocks.join(',')}`];
    return depth ? (`resnet${depth}` as GraphArchitectureName) : null;
  }
  if (names.has('features.denseblock1.denselayer1.conv1.weight')) return 'densenet121';
  if (names.has('inception3a.branch1.conv.weight')) return 'googlenet';
  if (names.has('features.1.conv.0.0.weight')) return 'mobilenet_v2';
  if (names.has('features.0.weight') && shape('features.0.weight')[3] === 11) return 'alexnet';
  if (names.has('conv1.weight') && names.has('fc6.weight') && shape('conv1.weight')[3] === 11) return 'alexnet-caffe';
  if (names.has('features.0.weight') && names.has('features.1.running_mean') && shape('features.0.weight')[3] === 3) {
    const convs = [...names].filter((n) => /^features\.\d+\.weight$/.test(n) && shape(n).length === 4 && shape(n)[2] === 3).length;
    const depth = vggBnDepth(convs);
    return depth ? (`vgg${depth}_bn` as GraphArchitectureName) : null;
  }
  return null;
}

/** Reads tensors by canonical name, checking shapes, and remembers which were used. */
class CheckpointReader {
  readonly used = new Set<string>();
  constructor(
    readonly st: Safetensors,
    readonly names: Map<string, string>,
  ) {}

  has(name: string): boolean {
    return this.names.has(name);
  }

  shape(name: string): number[] {
    const stored = this.names.get(name);
    if (!stored) throw new ModelFormatError(this.st.file, `has no tensor ${name}`);
    return this.st.shape(stored);
  }

  get(name: string, shape: number[], what: string): Float32Array {
    const actual = this.shape(name);
    // timm's VGGs hold fc6 and fc7 as convolutions ([out][in][y][x], the flatten's CHW order): the same numbers.
    const convAsDense = shape.length === 2 && actual.length === 4 && actual[0] === shape[0] && actual[1] * actual[2] * actual[3] === shape[1];
    if (!convAsDense && (actual.length !== shape.length || actual.some((d, i) => d !== shape[i]))) {
      throw new ModelFormatError(this.st.file, `tensor ${name} has shape ${JSON.stringify(actual)}, ${what} needs ${JSON.stringify(shape)}`);
    }
    this.used.add(name);
    return this.st.read(this.names.get(name)!);
  }
}

function batchNormOf(reader: CheckpointReader, name: string, channels: number, node: string) {
  const get = (field: string) => reader.get(`${name}.${field}`, [channels], node);
  const norm = { scale: get('weight'), shift: get('bias'), mean: get('running_mean'), variance: get('running_var') };
  if (reader.has(`${name}.num_batches_tracked`)) reader.used.add(`${name}.num_batches_tracked`);
  return norm;
}

/** A node's weight and bias from the checkpoint, batch norm folded. */
function nodeWeights(reader: CheckpointReader, node: GraphNode, source: ParameterSource): { weight: Float32Array; bias: Float32Array } {
  const sizes = opOf(node).weights!.sizes(node);
  if (!source.weight && source.batchNorm) {
    // A batch norm of its own: y = x·scale + shift per channel, with scale = γ/√(var + ε), shift = β − mean·scale.
    const norm = batchNormOf(reader, source.batchNorm.name, sizes.bias, node.name);
    const weight = Float32Array.from(norm.scale, (g, c) => g / Math.sqrt(norm.variance[c] + source.batchNorm!.epsilon));
    return { weight, bias: Float32Array.from(norm.shift, (b, c) => b - norm.mean[c] * weight[c]) };
  }
  const weight = reader.get(source.weight!, opOf(node).weights!.shape(node), node.name);
  const bias = source.bias ? reader.get(source.bias, [sizes.bias], node.name) : new Float32Array(sizes.bias);
  if (source.batchNorm) {
    const { epsilon } = source.batchNorm;
    foldBatchNorm(weight, bias, batchNormOf(reader, source.batchNorm.name, sizes.bias, node.name), (variance) => Math.sqrt(variance + epsilon));
  }
  return { weight, bias };
}

/** The classifier's class count: the output size of the last weighted node in the checkpoint. */
function classesOf(reader: CheckpointReader, built: BuiltArchitecture): number {
  const last = [...built.architecture.nodes].reverse().find((n) => built.parameters.get(n.name)?.weight);
  return reader.shape(built.parameters.get(last!.name)!.weight!)[0];
}

/** timm's names for torchvision's VGG classifier (its `*_bn.tv_in1k` releases): fc6 and fc7 as convolutions. */
const timmVggClassifier: Record<string, string> = { 'pre_logits.fc1': 'classifier.0', 'pre_logits.fc2': 'classifier.3', 'head.fc': 'classifier.6' };

/** Canonical torchvision names of a checkpoint's tensors, timm's VGG classifier renamed. */
function torchvisionNames(st: Safetensors): Map<string, string> {
  const names = new Map<string, string>();
  for (const [canonical, stored] of canonicalNames(st.names)) {
    const [, module, field] = /^(.*)\.([^.]+)$/.exec(canonical) ?? [];
    names.set(module && Object.hasOwn(timmVggClassifier, module) ? `${timmVggClassifier[module]}.${field}` : canonical, stored);
  }
  return names;
}

export function loadTorchvisionGraph(options: TorchvisionGraphOptions): Model {
  const file = options.fileName ?? 'model.safetensors';
  const st = openSafetensors(options.bytes, file);
  const reader = new CheckpointReader(st, torchvisionNames(st));
  const arch = options.arch ?? recogniseArchitecture(new Set(reader.names.keys()), (n) => reader.shape(n));
  if (!arch || !isGraphArchitecture(arch)) {
    throw new ModelFormatError(file, 'has parameter names of no built-in architecture (ResNet, MobileNetV2, DenseNet-121, GoogLeNet, AlexNet, VGG with or without batch norm); pass --arch, or export the model to ONNX');
  }
  const probe = graphArchitectures[arch]({ inputSize: options.inputSize });
  const classes = classesOf(reader, probe);
  const built = graphArchitectures[arch]({ classes, inputSize: options.inputSize });
  const nodes = built.architecture.nodes.map((spec): GraphNode => {
    const source = built.parameters.get(spec.name);
    if (!source || !opOf(spec).weights) return spec as GraphNode;
    return { ...spec, ...nodeWeights(reader, spec as GraphNode, source) } as GraphNode;
  });
  // Training-only parameters (GoogLeNet's auxiliary heads) are not part of the network that classifies.
  const unused = [...reader.names.keys()].filter((n) => !reader.used.has(n) && !/^aux[12]\./.test(n));
  if (unused.length > 0) throw new ModelFormatError(file, `tensors ${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ', …' : ''} belong to no ${arch} layer`);
  const model: Model = {
    ...built.architecture,
    nodes,
    preprocess: options.preprocess ?? built.architecture.preprocess,
    labels: options.labels ?? (classes === 1000 ? [...imagenetLabels] : Array.from({ length: classes }, (_, i) => `class ${i}`)),
  };
  validateModel(model);
  return model;
}
