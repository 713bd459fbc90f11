/**
 * Grad-CAM and CAM against torch itself (Debian's python3-torchvision; skipped without it): a seeded torchvision
 * ResNet-18 at 64×64 (torchvision_oracle.py), torch autograd's gradient of the top logit with respect to layer3's and
 * layer4's outputs (torch_gradcam_oracle.py) against the CPU gradient reference, and the Grad-CAM and CAM maps built
 * from them by layer-map.ts. The GPU backward is held to that reference in gradient-gpu.test.ts (every op, graphs,
 * Tiny Darknet); compiling ResNet-18's kernels here too would cost ~10 s of SwiftShader. Tolerance: 10⁻³ of the
 * largest value (float32 both sides, batch norms folded into the convolutions here and not in torch).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { camHead, gradcamMap, weightedChannelSum } from '../src/explain/layer-map.ts';
import { graphOf } from '../src/graph/model.ts';
import { loadSafetensorsModel } from '../src/loaders/safetensors-model.ts';
import { lastSpatialTensor } from '../src/postprocess/coarse.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { gradientReference } from '../src/reference/gradient.ts';

const python = '/usr/bin/python3';
const oracle = new URL('./helpers/torch_gradcam_oracle.py', import.meta.url).pathname;
const hasTorchvision = existsSync(python) && (() => {
  try {
    execFileSync(python, ['-c', 'import torchvision'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const scratch = mkdtempSync(join(tmpdir(), 'fixations-gradcam-torch-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function expectWithin(ours: ArrayLike<number>, theirs: Float32Array, what: string): void {
  expect(ours.length, what).toBe(theirs.length);
  let scale = 0;
  for (const v of theirs) scale = Math.max(scale, Math.abs(v));
  expect(scale, `${what}: torch's values are all zeros`).toBeGreaterThan(0);
  let worst = 0;
  for (let i = 0; i < theirs.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
  expect(worst, `${what}: max difference of max ${scale}`).toBeLessThanOrEqual(1e-3 * scale);
}

describe.skipIf(!hasTorchvision)('Grad-CAM and CAM against torch autograd', () => {
  it('ResNet-18: d logit / d layer3 and layer4, Grad-CAM at both, CAM', async () => {
    const size = 64;
    execFileSync(python, [oracle, 'resnet18', String(size), '7', scratch, 'layer3,layer4'], { stdio: 'pipe' });
    const floats = (file: string) => {
      const bytes = readFileSync(join(scratch, file));
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    };
    const model = loadSafetensorsModel({ bytes: new Uint8Array(readFileSync(join(scratch, 'model.safetensors'))), fileName: 'resnet18.safetensors', inputSize: size });
    const graph = graphOf(model);
    // torchvision's module outputs are the last blocks' adds (after their ReLU).
    const tensors = { layer3: 'layer3.1', layer4: 'layer4.1' };
    expect(lastSpatialTensor(graph)).toBe(tensors.layer4);
    const target = Number(readFileSync(join(scratch, 'target.txt'), 'utf8'));
    const input = floats('input.bin');

    const activations = forwardReference(model, input);
    const reference = gradientReference(model, activations, target, Object.values(tensors));

    for (const [module, tensor] of Object.entries(tensors)) {
      const shape = graph.shapes.get(tensor)!;
      expectWithin(activations.get(tensor)!, floats(`activation-${module}.bin`), `${module} activations`);
      expectWithin(reference.get(tensor)!, floats(`gradient-${module}.bin`), `${module} gradient`);
      const map = gradcamMap(tensor, shape, activations.get(tensor)!, reference.get(tensor)!);
      expectWithin(map.values, floats(`gradcam-${module}.bin`), `${module} Grad-CAM`);
    }
    const head = camHead(model);
    if (typeof head === 'string') throw new Error(head);
    expect(head.tensor).toBe(tensors.layer4);
    const cam = weightedChannelSum(head.tensor, graph.shapes.get(head.tensor)!, activations.get(head.tensor)!, head.weights(target));
    expectWithin(cam.values, floats('cam.bin'), 'CAM');
  });
});
