/** The issue's targets, checked against one run: ratios ours/peer, then met / not met / not measured per environment. */
import type { EnvironmentResult, LayerTimes, OursModelResult, PeerName, PeerRatio, TargetCheck } from './report-types.ts';
import { formatMs } from './format.ts';

export const targetValues = {
  vggForwardMs: 10_000,
  peerSpeedup: 7,
  /** Issue 16: ResNet-50 and MobileNetV2 forward against both WebGPU peers. */
  graphPeerSpeedup: 10,
  backtrackShare: 0.1,
  tinyDarknetExplainMs: 500,
  firstResultFactor: 2,
} as const;

/** The input side the targets are stated for. */
export const targetInputSize = 224;

export const peerLabels: Record<PeerName, string> = {
  'tfjs-webgpu': 'TensorFlow.js WebGPU',
  'tfjs-wasm': 'TensorFlow.js wasm',
  'ort-webgpu': 'ONNX Runtime Web WebGPU',
  'ort-wasm': 'ONNX Runtime Web wasm',
};

/** Peer forward ÷ our forward, for every peer that finished on a model we also measured in the same environment. */
export function peerRatios(environments: EnvironmentResult[]): PeerRatio[] {
  const ratios: PeerRatio[] = [];
  for (const env of environments) {
    for (const peer of env.peers) {
      const ours = env.models.find((m) => m.subject === peer.subject);
      if (peer.status !== 'ok' || !peer.forward || !ours) continue;
      ratios.push({
        environment: env.environment,
        subject: peer.subject,
        peer: peer.peer,
        peerMedianMs: peer.forward.medianMs,
        oursMedianMs: ours.forward.medianMs,
        ratio: peer.forward.medianMs / ours.forward.medianMs,
        peerCheckOk: peer.check?.ok ?? false,
      });
    }
  }
  return ratios;
}

/** The slowest layers, as `conv3_1 1.2 s (20%)`: what a missed target is made of. */
export function slowestLayers(times: LayerTimes, count = 3): string {
  const total = times.layers.reduce((sum, l) => sum + l.ms, 0);
  return [...times.layers]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count)
    .map((l) => `${l.name} ${formatMs(l.ms)} (${Math.round((100 * l.ms) / total)}%)`)
    .join(', ');
}

function check(target: string, environment: EnvironmentResult['environment'], value: string, met: boolean, detail?: string): TargetCheck {
  return { target, environment, value, status: met ? 'met' : 'not met', ...(met || !detail ? {} : { detail }) };
}

function notMeasured(target: string, environment: EnvironmentResult['environment'], detail: string): TargetCheck {
  return { target, environment, value: '—', status: 'not measured', detail };
}

function vggChecks(env: EnvironmentResult, vgg: OursModelResult | undefined, ratios: PeerRatio[]): TargetCheck[] {
  const e = env.environment;
  const t = targetValues;
  const names = {
    forward: `VGG19 forward ≤ ${t.vggForwardMs / 1000} s (median)`,
    peers: (['tfjs-webgpu', 'ort-webgpu'] as const).map((p) => [p, `VGG19 forward ≥ ${t.peerSpeedup}× faster than ${peerLabels[p]}`] as const),
    backtrack: (['hysm', 'official'] as const).map((r) => [r, `backtracking (${r}) ≤ ${t.backtrackShare * 100}% of the forward`] as const),
    first: `VGG19 first result ≤ ${t.firstResultFactor}× the warm forward`,
  };
  const all = [names.forward, ...names.peers.map(([, n]) => n), ...names.backtrack.map(([, n]) => n), names.first];
  if (!vgg) return all.map((n) => notMeasured(n, e, 'VGG19 was not measured here'));
  if (vgg.input[1] !== targetInputSize) {
    return all.map((n) => notMeasured(n, e, `targets are for ${targetInputSize}×${targetInputSize}; this run used ${vgg.input[1]}×${vgg.input[2]} (--vgg-input)`));
  }
  const checks: TargetCheck[] = [];
  const forward = vgg.forward.medianMs;
  checks.push(check(names.forward, e, formatMs(forward), forward <= t.vggForwardMs, `slowest layers: ${slowestLayers(vgg.perLayer.forward)}`));
  for (const [peer, name] of names.peers) {
    const ratio = ratios.find((r) => r.environment === e && r.subject === 'vgg19' && r.peer === peer);
    const result = env.peers.find((p) => p.peer === peer && p.subject === 'vgg19');
    if (!ratio) {
      checks.push(notMeasured(name, e, result ? `${peerLabels[peer]}: ${result.status}${result.message ? ` (${result.message})` : ''}` : `${peerLabels[peer]} was not run`));
      continue;
    }
    const detail = `${peerLabels[peer]} ${formatMs(ratio.peerMedianMs)} vs ours ${formatMs(ratio.oursMedianMs)}`;
    checks.push({ ...check(name, e, `${ratio.ratio.toFixed(1)}×`, ratio.ratio >= t.peerSpeedup, detail), detail });
  }
  for (const [rule, name] of names.backtrack) {
    const share = vgg.backtrack[rule].medianMs / forward;
    checks.push(
      check(name, e, `${(100 * share).toFixed(1)}% (${formatMs(vgg.backtrack[rule].medianMs)})`, share <= t.backtrackShare, `slowest layers: ${slowestLayers(vgg.perLayer.backtrack[rule])}`),
    );
  }
  const factor = vgg.firstResult.totalMs / forward;
  checks.push(
    check(names.first, e, `${factor.toFixed(2)}× (${formatMs(vgg.firstResult.totalMs)})`, factor <= t.firstResultFactor, `create (upload + compile) ${formatMs(vgg.firstResult.createMs)}, first forward ${formatMs(vgg.firstResult.firstForwardMs)}`),
  );
  return checks;
}

function tinyDarknetChecks(env: EnvironmentResult, tiny: OursModelResult | undefined): TargetCheck[] {
  const e = env.environment;
  const t = targetValues;
  const explain = `Tiny Darknet explain ≤ ${t.tinyDarknetExplainMs / 1000} s (median)`;
  const first = `Tiny Darknet first result ≤ ${t.firstResultFactor}× the warm forward`;
  if (!tiny) return [notMeasured(explain, e, 'Tiny Darknet was not measured here'), notMeasured(first, e, 'Tiny Darknet was not measured here')];
  const factor = tiny.firstResult.totalMs / tiny.forward.medianMs;
  return [
    check(explain, e, formatMs(tiny.explain.medianMs), tiny.explain.medianMs <= t.tinyDarknetExplainMs, `forward ${formatMs(tiny.forward.medianMs)}, backtracking ${formatMs(tiny.backtrack.hysm.medianMs)}; slowest forward layers: ${slowestLayers(tiny.perLayer.forward)}`),
    check(first, e, `${factor.toFixed(2)}× (${formatMs(tiny.firstResult.totalMs)})`, factor <= t.firstResultFactor, `create (upload + compile) ${formatMs(tiny.firstResult.createMs)}, first forward ${formatMs(tiny.firstResult.firstForwardMs)}`),
  ];
}

/** The graph architectures' targets: forward ≥ 10× faster than each WebGPU peer, when the model was measured. */
const graphSubjects = [
  ['resnet50', 'ResNet-50'],
  ['mobilenet_v2', 'MobileNetV2'],
] as const;

function graphChecks(env: EnvironmentResult, ratios: PeerRatio[]): TargetCheck[] {
  const e = env.environment;
  const checks: TargetCheck[] = [];
  for (const [subject, label] of graphSubjects) {
    const ours = env.models.find((m) => m.subject === subject);
    if (!ours) continue;
    for (const peer of ['tfjs-webgpu', 'ort-webgpu'] as const) {
      const name = `${label} forward ≥ ${targetValues.graphPeerSpeedup}× faster than ${peerLabels[peer]}`;
      if (ours.input[1] !== targetInputSize) {
        checks.push(notMeasured(name, e, `targets are for ${targetInputSize}×${targetInputSize}; this run used ${ours.input[1]}×${ours.input[2]} (--vgg-input)`));
        continue;
      }
      const ratio = ratios.find((r) => r.environment === e && r.subject === subject && r.peer === peer);
      const result = env.peers.find((p) => p.peer === peer && p.subject === subject);
      if (!ratio) {
        checks.push(notMeasured(name, e, result ? `${peerLabels[peer]}: ${result.status}${result.message ? ` (${result.message})` : ''}` : `${peerLabels[peer]} was not run`));
        continue;
      }
      const detail = `${peerLabels[peer]} ${formatMs(ratio.peerMedianMs)} vs ours ${formatMs(ratio.oursMedianMs)}${ratio.peerCheckOk ? '' : ' (peer output differs)'}`;
      const met = ratio.ratio >= targetValues.graphPeerSpeedup;
      checks.push({
        ...check(name, e, `${ratio.ratio.toFixed(1)}×`, met),
        detail: met ? detail : `${detail}; slowest layers: ${slowestLayers(ours.perLayer.forward)}`,
      });
    }
  }
  return checks;
}

export function checkTargets(environments: EnvironmentResult[], ratios: PeerRatio[]): TargetCheck[] {
  return environments.flatMap((env) => [
    ...vggChecks(env, env.models.find((m) => m.subject === 'vgg19'), ratios),
    ...tinyDarknetChecks(env, env.models.find((m) => m.subject === 'tiny-darknet')),
    ...graphChecks(env, ratios),
  ]);
}
