/** Which tensor of a model holds the logits the peers are checked on. */
import { endsInSoftmax } from '../../src/explain/classify.ts';
import type { Model } from '../../src/graph/model.ts';

/** The tensor holding the logits: the softmax's input when the model ends in softmax, else the output. */
export function logitsTensor(model: Model): string {
  return endsInSoftmax(model) ? model.nodes.find((n) => n.output === model.output)!.inputs[0] : model.output;
}
