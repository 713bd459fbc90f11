/** The report as markdown: the tables the README carries, and what `npm run bench` prints. */
import { formatBytes, formatCount, formatMs, markdownTable } from './format.ts';
import type { BenchReport, EnvironmentResult, OursModelResult, PeerRatio } from './report-types.ts';
import type { Stats } from './stats.ts';
import { peerLabels, targetValues } from './targets.ts';

function statsCells(stats: Stats | undefined): string[] {
  if (!stats) return ['—', '—', '—', '—'];
  return [formatMs(stats.medianMs), formatMs(stats.minMs), formatMs(stats.maxMs), `${stats.n} (+${stats.warmup})`];
}

function resultRows(env: EnvironmentResult): string[][] {
  const rows: string[][] = [];
  for (const m of env.models) {
    const memory = formatBytes(m.peakMemoryBytes);
    rows.push([`${m.label} forward`, env.environment, ...statsCells(m.forward), formatMs(m.firstResult.totalMs), memory]);
    if (m.batched) {
      const b = m.batched;
      const ratio = (m.forward.medianMs / b.perForwardMs).toFixed(2);
      rows.push([
        `${m.label} forward over a batch of ${b.inputs} (${formatMs(b.perForwardMs)} an image, ${ratio}× single; scores within ${b.maxRelativeError.toExponential(1)}${b.maxRelativeError > 1e-4 ? ', SCORES DIFFER' : ''})`,
        env.environment,
        ...statsCells(b),
        '—',
        formatBytes(b.peakMemoryBytes),
      ]);
    }
    for (const rule of ['hysm', 'official'] as const) {
      const b = m.backtrack[rule];
      rows.push([`${m.label} backtracking (${rule}, ${formatCount(b.nodes)} nodes)`, env.environment, ...statsCells(b), rule === 'hysm' ? formatMs(m.backtrack.firstResultMs) : '—', '—']);
    }
    rows.push([`${m.label} explain (${m.explain.rule})`, env.environment, ...statsCells(m.explain), '—', '—']);
  }
  for (const p of env.peers) {
    const name = `${peerLabels[p.peer]} forward, ${p.label}`;
    if (p.status === 'ok') rows.push([name, env.environment, ...statsCells(p.forward), formatMs(p.firstResultMs), '—']);
    else rows.push([name, env.environment, p.status, '—', '—', '—', '—', '—']);
  }
  return rows;
}

function ratioRows(ratios: PeerRatio[], report: BenchReport): string[][] {
  return ratios.map((r) => {
    const env = report.environments.find((e) => e.environment === r.environment)!;
    const check = env.peers.find((p) => p.peer === r.peer && p.subject === r.subject)?.check;
    const label = env.models.find((m) => m.subject === r.subject)?.label ?? r.subject;
    return [
      peerLabels[r.peer],
      r.environment,
      label,
      formatMs(r.peerMedianMs),
      formatMs(r.oursMedianMs),
      r.ratio >= 1 ? `${r.ratio.toFixed(1)}× faster` : `${(1 / r.ratio).toFixed(1)}× slower`,
      check ? `${check.ok ? 'same output' : 'DIFFERS'} (max error ${check.maxError.toExponential(1)}, top-1 ${check.top1Agrees ? 'agrees' : 'differs'})` : '—',
    ];
  });
}

/** One column per environment (and rule): GPU ms of each layer, with a total. */
function perLayerTable(entries: { title: string; times: OursModelResult['perLayer']['forward'] }[]): string {
  const names: string[] = [];
  for (const e of entries) for (const l of e.times.layers) if (!names.includes(l.name)) names.push(l.name);
  const rows = names.map((name) => [name, ...entries.map((e) => formatMs(e.times.layers.find((l) => l.name === name)?.ms))]);
  rows.push(['**total**', ...entries.map((e) => `**${formatMs(e.times.layers.reduce((s, l) => s + l.ms, 0))}**`)]);
  return markdownTable(['Layer', ...entries.map((e) => `${e.title} (${e.times.method})`)], rows);
}

function perLayerSections(report: BenchReport): string[] {
  const sections: string[] = [];
  const subjects = [...new Set(report.environments.flatMap((e) => e.models.map((m) => m.subject)))];
  for (const subject of subjects) {
    const measured = report.environments.flatMap((e) => e.models.filter((m) => m.subject === subject).map((m) => ({ env: e.environment, m })));
    const label = measured[0].m.label;
    sections.push(`### Per-layer GPU time: ${label} forward\n\n${perLayerTable(measured.map(({ env, m }) => ({ title: env, times: m.perLayer.forward })))}`);
    sections.push(
      `### Per-layer GPU time: ${label} backtracking (from class ${measured[0].m.top1.classIndex})\n\n` +
        perLayerTable(measured.flatMap(({ env, m }) => (['hysm', 'official'] as const).map((rule) => ({ title: `${env} ${rule}`, times: m.perLayer.backtrack[rule] })))),
    );
  }
  return sections;
}

function scalingSection(report: BenchReport): string | null {
  const rows = report.environments.flatMap((env) =>
    env.scaling.map((p) =>
      p.status === 'ok'
        ? [
            `${p.inputSize}×${p.inputSize}`,
            env.environment,
            formatCount(p.parameters),
            formatMs(p.forward?.medianMs),
            formatMs(p.firstResultMs),
            `${formatMs(p.backtrack?.hysm.medianMs)} (${formatCount(p.backtrack?.hysm.nodes)})`,
            `${formatMs(p.backtrack?.official.medianMs)} (${formatCount(p.backtrack?.official.nodes)})`,
            formatBytes(p.peakMemoryBytes),
          ]
        : [`${p.inputSize}×${p.inputSize}`, env.environment, '—', `failed: ${p.error ?? ''}`, '—', '—', '—', '—'],
    ),
  );
  if (rows.length === 0) return null;
  return (
    '### Scaling: VGG19 against input size\n\n' +
    markdownTable(['Input', 'Environment', 'Parameters', 'Forward (median)', 'First result', 'Backtracking hysm (nodes)', 'Backtracking official (nodes)', 'Peak GPU memory'], rows)
  );
}

function sweepSection(report: BenchReport): string | null {
  const rows = report.environments.flatMap((env) =>
    env.models.flatMap((m) =>
      [...m.targetSweep]
        .sort((a, b) => a.nodes - b.nodes)
        .map((p) => [m.label, env.environment, p.rule, String(p.target), formatCount(p.nodes), formatMs(p.medianMs), `${((100 * p.medianMs) / m.forward.medianMs).toFixed(1)}%`]),
    ),
  );
  if (rows.length === 0) return null;
  return (
    '### Scaling: backtracking against memory-vector size (target classes: top 5 and 3 others)\n\n' +
    markdownTable(['Model', 'Environment', 'Rule', 'Class', 'Nodes in the tree', 'Backtracking (median)', 'of the forward'], rows)
  );
}

function peerDetails(report: BenchReport): string | null {
  const rows = report.environments.flatMap((env) =>
    env.peers.map((p) => [
      peerLabels[p.peer],
      env.environment,
      p.label,
      p.status,
      p.status === 'ok'
        ? Object.entries(p.runtime ?? {})
            .filter(([, v]) => v !== undefined && v !== null && typeof v !== 'object')
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ')
        : (p.message ?? ''),
    ]),
  );
  if (rows.length === 0) return null;
  return '### Peers\n\n' + markdownTable(['Peer', 'Environment', 'Model', 'Status', 'Runtime / why not'], rows);
}

const runs = (n: number | undefined) => `${n} run${n === 1 ? '' : 's'}`;

export function reportMarkdown(report: BenchReport): string {
  const o = report.options as { runs?: number; warmup?: number; peerRuns?: number; peerWarmup?: number };
  const header = [
    `## Benchmark (${report.date.slice(0, 10)})`,
    '',
    `\`npm run bench${(report.options.argv as string[] | undefined)?.length ? ` -- ${(report.options.argv as string[]).join(' ')}` : ''}\` on ${report.host.cpuModel} (${report.host.cpus} cores, ${formatBytes(report.host.memoryBytes)}), ${report.host.platform}, commit ${report.host.commit ?? 'unknown'}.`,
    `Ours: median, min and max of ${runs(o.runs)} after ${o.warmup} warm-up` +
      (report.environments.some((e) => e.peers.length > 0) ? `; peers: ${runs(o.peerRuns)} after ${o.peerWarmup} warm-up` : '') +
      '. Batch 1, float32.',
    '',
    ...report.environments.map((e) => `- **${e.environment}**: ${e.description}; adapter: ${e.adapter ? `${e.adapter.name}${e.adapter.hasTimestampQuery ? ', timestamp-query' : ', no timestamp-query'}` : 'none reported'}`),
  ];
  const sections = [header.join('\n')];
  const results = report.environments.flatMap(resultRows);
  if (results.length > 0) {
    sections.push(
      '### Results\n\n' +
        markdownTable(['Measurement', 'Environment', 'Median', 'Min', 'Max', 'Runs (+warm-up)', 'First result', 'Peak GPU memory'], results) +
        '\n\nFirst result: weights upload, pipeline compilation and the first forward (backtracking: its setup and first run). ' +
        'Explain: preprocessing, forward, top-5, backtracking from the top-1 and the tree read back.',
    );
  }
  if (report.ratios.length > 0) {
    sections.push('### Ours against the peers (peer forward ÷ our forward, same model, weights and input)\n\n' + markdownTable(['Peer', 'Environment', 'Model', 'Peer', 'Ours', 'Ours is', 'Peer output'], ratioRows(report.ratios, report)));
  }
  if (report.targets.length > 0) {
    sections.push(
      `### Targets (at 224×224; VGG19 forward ≤ ${targetValues.vggForwardMs / 1000} s, ≥ ${targetValues.peerSpeedup}× the WebGPU peers, backtracking ≤ ${targetValues.backtrackShare * 100}% of the forward, Tiny Darknet explain ≤ ${targetValues.tinyDarknetExplainMs / 1000} s, first result ≤ ${targetValues.firstResultFactor}× warm; ResNet-50 and MobileNetV2 forward ≥ ${targetValues.graphPeerSpeedup}× the WebGPU peers)\n\n` +
        markdownTable(['Target', 'Environment', 'Value', 'Status', 'Detail'], report.targets.map((t) => [t.target, t.environment, t.value, t.status, t.detail ?? ''])),
    );
  }
  sections.push(...perLayerSections(report));
  for (const section of [scalingSection(report), sweepSection(report), peerDetails(report)]) if (section) sections.push(section);
  const problems = report.environments.flatMap((e) => [...e.errors.map((x) => `- ${e.environment}: ${x.what}: ${x.message.split('\n')[0]}`), ...e.notes.map((n) => `- ${e.environment}: ${n}`)]);
  if (problems.length > 0) sections.push('### Notes\n\n' + problems.join('\n'));
  return sections.join('\n\n') + '\n';
}

/** The ratio lines printed after the table. */
export function ratioLines(report: BenchReport): string[] {
  return report.ratios.map(
    (r) =>
      `ours/peer ${r.environment}: ${peerLabels[r.peer]} ${formatMs(r.peerMedianMs)} ÷ ours ${formatMs(r.oursMedianMs)} = ${r.ratio.toFixed(2)}×${r.peerCheckOk ? '' : ' (peer output differs from ours!)'}`,
  );
}
