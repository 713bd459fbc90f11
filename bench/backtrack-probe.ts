// VGG19's backtracking in Node, both rules: median of RUNS runs (default 5) from class TARGET (default 470), the
// slowest TOP layers (default 5) of one profiled run, and a hash of the whole tree (nodes, parents, parent and child
// counts of every level), to check that a kernel change leaves the trees identical. Same model, seed and photo as
// `npm run bench -- --only vgg19`; without the forward's timing, the batched forwards and the explain, so it takes
// half a minute: `node bin/run-ts.js bench/backtrack-probe.ts`. At commit 4658921 the hashes are 7444d26d6ca0 (hysm)
// and 82ec215e737f (official).
import { createHash } from 'node:crypto';
import { createNodeGpuContext } from '../src/gpu/device-node.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { Explainer, explainerModelOptions } from '../src/explain/explain.ts';
import { preprocessReference } from '../src/reference/preprocess.ts';
import { loadSourceModel, vggPhoto, vggSource } from './subjects.ts';
import { backtrackLayerNames } from './measure-ours.ts';

const runs = Number(process.env.RUNS ?? 5);
const target = Number(process.env.TARGET ?? 470);
const model = await loadSourceModel(vggSource(1, { inputSize: 224 }), async () => new Uint8Array());
const input = preprocessReference(vggPhoto(224, 1), model.preprocess);
const context = await createNodeGpuContext();
const gpuModel = await GpuModel.create(context, model, explainerModelOptions(model, {}));
await gpuModel.runTensor(input);
const explainer = await Explainer.forModel(gpuModel);
const { backtracker } = explainer;
for (const rule of ['hysm', 'official'] as const) {
  const ms: number[] = [];
  let hash = '';
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const { tree } = await backtracker.run(target, rule);
    const t = performance.now() - t0;
    if (i > 0) ms.push(t);
    const h = createHash('sha256');
    for (const l of tree.levels) for (const a of [l.nodes, l.parentTensor, l.parents, l.parentCounts, l.childCounts]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    hash = h.digest('hex').slice(0, 12);
  }
  ms.sort((a, b) => a - b);
  const profile = await backtracker.profileLayers(target, rule);
  const names = backtrackLayerNames(model, rule);
  const top = profile.ms.map((m, i) => [names[i], m] as const).sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 5));
  console.log(`${rule}: median ${ms[ms.length >> 1].toFixed(1)} ms [${ms.map((m) => m.toFixed(0)).join(' ')}] tree ${hash} | ${top.map(([n, m]) => `${n} ${m.toFixed(1)}`).join(', ')}`);
}
process.exit(0);
