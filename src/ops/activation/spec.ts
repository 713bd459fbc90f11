import type { Activation } from '../common/activation.ts';

/**
 * An activation on its own, for one that follows no op it could be fused into (a ReLU after a concat or a max-pool, an
 * ONNX Relu / LeakyRelu / Clip(0, 6) between nodes a loader keeps apart). Ops with a fused `activation` field are cheaper.
 */
export interface ActivationSpec {
  kind: 'activation';
  name: string;
  activation: Activation;
}
