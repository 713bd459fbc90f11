/**
 * Any safetensors checkpoint of a built-in architecture: the graph networks by their torchvision names (ResNet,
 * MobileNetV2, DenseNet-121, GoogLeNet, AlexNet), recognised from the names or given as `arch`, and otherwise a VGG read
 * off its tensor shapes.
 */
import { graphArchitectureNames, isGraphArchitecture } from '../architectures/index.ts';
import { builtinArchitectures, type BuiltinArchitecture } from '../architectures/vgg.ts';
import type { Model } from '../graph/model.ts';
import type { Preprocess } from '../model/preprocess.ts';
import { ModelFormatError } from './format-error.ts';
import { canonicalNames, loadVggSafetensors, openSafetensors } from './safetensors.ts';
import { loadTorchvisionGraph, recogniseArchitecture } from './torchvision-graph.ts';

export interface SafetensorsCheckpoint {
  bytes: Uint8Array;
  fileName?: string;
  /** A built-in architecture name (`resnet50`, `vgg19`, …); recognised from the checkpoint when absent. */
  arch?: string;
  labels?: string[];
  preprocess?: Preprocess;
  /** Input side of a graph architecture (its pools adapt); default 224. */
  inputSize?: number;
}

/** Every architecture a safetensors checkpoint can be read as. */
export const safetensorsArchitectures: readonly string[] = [...builtinArchitectures, ...graphArchitectureNames];

export function loadSafetensorsModel(options: SafetensorsCheckpoint): Model {
  const file = options.fileName ?? 'model.safetensors';
  const { arch } = options;
  if (arch !== undefined && isGraphArchitecture(arch)) return loadTorchvisionGraph({ ...options, arch });
  if (arch === undefined) {
    const st = openSafetensors(options.bytes, file);
    const names = canonicalNames(st.names);
    const recognised = recogniseArchitecture(new Set(names.keys()), (name) => st.shape(names.get(name)!));
    if (recognised) return loadTorchvisionGraph({ ...options, arch: recognised });
  } else if (!(builtinArchitectures as readonly string[]).includes(arch)) {
    throw new ModelFormatError(file, `architecture "${arch}" is not one of ${safetensorsArchitectures.join(', ')}`);
  }
  return loadVggSafetensors({ ...options, arch: arch as BuiltinArchitecture | undefined });
}
