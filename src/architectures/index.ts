/** Every built-in architecture by name: the VGGs (a chain), and the graphs of the CNN Fixations paper and beyond. */
import type { Architecture } from '../graph/model.ts';
import { alexnet, caffeAlexnet } from './alexnet.ts';
import type { BuiltArchitecture } from './builder.ts';
import { densenet121 } from './densenet.ts';
import { googlenet } from './googlenet.ts';
import { mobilenetV2 } from './mobilenet-v2.ts';
import { resnet, type ClassifierOptions } from './resnet.ts';
import { vggArchitecture, vggBn } from './vgg.ts';

/** Networks with torchvision's module names, loadable from torchvision-named safetensors checkpoints. */
export const graphArchitectures = {
  resnet18: (o?: ClassifierOptions) => resnet(18, o),
  resnet34: (o?: ClassifierOptions) => resnet(34, o),
  resnet50: (o?: ClassifierOptions) => resnet(50, o),
  resnet101: (o?: ClassifierOptions) => resnet(101, o),
  resnet152: (o?: ClassifierOptions) => resnet(152, o),
  mobilenet_v2: mobilenetV2,
  densenet121,
  googlenet,
  alexnet,
  'alexnet-caffe': caffeAlexnet,
  vgg11_bn: (o?: ClassifierOptions) => vggBn(11, o),
  vgg13_bn: (o?: ClassifierOptions) => vggBn(13, o),
  vgg16_bn: (o?: ClassifierOptions) => vggBn(16, o),
  vgg19_bn: (o?: ClassifierOptions) => vggBn(19, o),
} satisfies Record<string, (options?: ClassifierOptions) => BuiltArchitecture>;

export type GraphArchitectureName = keyof typeof graphArchitectures;
export const graphArchitectureNames = Object.keys(graphArchitectures) as GraphArchitectureName[];

export function isGraphArchitecture(name: string): name is GraphArchitectureName {
  return Object.hasOwn(graphArchitectures, name);
}

export const vggNames = ['vgg11', 'vgg13', 'vgg16', 'vgg19'] as const;
export const allArchitectureNames = [...vggNames, ...graphArchitectureNames];

/** Any built-in architecture at ImageNet size (or `options`), without weights. */
export function anyBuiltinArchitecture(name: string, options: ClassifierOptions = {}): Architecture {
  const vgg = /^vgg(11|13|16|19)$/.exec(name);
  if (vgg) return vggArchitecture(Number(vgg[1]) as 11 | 13 | 16 | 19, options);
  if (isGraphArchitecture(name)) return graphArchitectures[name](options).architecture;
  throw new Error(`unknown architecture "${name}"; built in: ${allArchitectureNames.join(', ')}`);
}
