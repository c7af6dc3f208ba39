/**
 * report.md from results.json: the first table (the figures of
 * docs/design.md#what-the-lab-measures per mode and stack) and its legend,
 * the generated conclusion per stack and queue, the machine, the sections
 * over every session run, then each scenario's own section.
 */
import type { Results } from '../results.ts';
import { ranIds, REGISTRY, type Registry, type ScenarioId, type ScenarioResultsOf } from '../scenarios/index.ts';
import { measuredRuns } from '../summary/measured.ts';
import { MODES } from '../variants/modes.ts';
import { QUEUE_IDS, QUEUES } from '../variants/queues.ts';
import { STACKS } from '../variants/stacks.ts';
import { shownOf, variantKey, variantOrder, type Shown, type Variant } from '../variants/variant.ts';
import type { Chart } from './chart.ts';
import { DASH, dist, formatSeconds } from './format.ts';
import { summaryTable } from './summary-table.ts';
import { variantCell } from './variant-cell.ts';

export function renderMarkdown(results: Results, charts: readonly Chart[], link: (path: string) => string): string {
  const out: string[] = [];
  const e = results.environment;
  const chart = chartEmbedder(charts);
  out.push('# gRPC backlog lab: experiment report', '');
  out.push(`Regenerate with \`${results.command}\` (${results.profile.name} profile, ${formatSeconds(results.durationS)} on the machine below). Numbers come from what the services export: the sidecar's Stats RPC, the workers' /metrics, their \`message processed\` logs and each message's \`backlog wait\` span; [docs/experiments.md](${link('docs/experiments.md')}) explains the scenarios and the fields of results.json.`, '');
  out.push(...summaryTable(results, link), '');
  if (results.failures.length > 0) {
    out.push('**Some scenario runs failed**; their numbers are missing:', '');
    for (const f of results.failures) out.push(`- ${f.scenario} · ${variantKey(f.variant)}: ${f.error.split('\n')[0] ?? ''}`);
    out.push('');
  }
  out.push(...conclusion(results));
  out.push('## Machine and versions', '');
  out.push(`Node ${e.node}, grpc-js ${e.grpcJs}; ${e.cpuModel}, ${e.cores} cores, ${e.memoryGiB} GiB memory; ${e.os}. Load average (1 min) ${e.loadAverageStart} at the start and ${e.loadAverageEnd} at the end: every process of the lab shares these cores, so a busy machine stretches the times (not the counts). All processes run on this one host, so backlog times subtract timestamps of one clock.`, '');
  out.push(`Profile \`${results.profile.name}\`: ${results.profile.processingDelayMs} ms of work per message, ${results.profile.payloadBytes}-byte payloads, sampled every ${results.profile.sampleIntervalMs} ms. Generated ${results.generatedAt}.`, '');
  const shown = shownOf(results.variants);
  out.push(...backlogSection(results, chart, shown));
  const first = chart('first-message');
  if (first.length > 0) out.push('## A new worker\'s first message', '', ...first);
  for (const id of ranIds(results.scenarios)) out.push(...scenarioSection(REGISTRY[id], results.scenarios[id], results, { chart, link, shown }));
  out.push(...variantsSection(results));
  return `${out.join('\n')}\n`;
}

/** The image and SVG link of a drawn chart, or nothing. */
function chartEmbedder(charts: readonly Chart[]): (name: string) => string[] {
  return (name) => {
    const c = charts.find((x) => x.name === name);
    return c ? [`![${c.title}](charts/${c.name}.png)`, '', `([SVG](charts/${c.name}.svg))`, ''] : [];
  };
}

function conclusion(results: Results): string[] {
  const out = ['## Conclusion', ''];
  const groups = results.conclusion.filter((g) => g.sentences.length > 0);
  if (groups.length === 0) out.push('Nothing to compare: a conclusion needs `stream` and at least one other mode in the same scenario.', '');
  for (const g of groups) {
    if (groups.length > 1) out.push(`### \`${g.stack}\` stack, \`${g.queue}\` queue`, '');
    out.push(`These hold for the \`${g.stack}\` stack, ${STACKS[g.stack].title}, and the \`${g.queue}\` queue, ${QUEUES[g.queue].title}.`, '');
    for (const line of g.sentences) out.push(`- ${line}`);
    out.push('');
  }
  return out;
}

function backlogSection(results: Results, chart: (name: string) => string[], shown: Shown): string[] {
  const runs = measuredRuns(results.scenarios);
  if (runs.length === 0) return [];
  const out = ['## Client backlog', '', ...chart('backlog')];
  out.push('Per scenario and variant, from each delivery\'s dispatch and start times in the workers\' `message processed` lines; the last columns check them against the backlog spans (stacks that trace) and the workers\' `worker_client_backlog_seconds` histogram: counts and means must agree.', '');
  out.push('| scenario | variant | messages | p50 | p95 | p99 | max | publish → start p50 / max | records / spans / histogram count | record / span / histogram mean |', '|---|---|---|---|---|---|---|---|---|---|');
  for (const { scenario, run: r } of runs) {
    out.push(`| ${scenario} | ${variantCell(r.variant, shown)} | ${r.backlog?.count ?? 0} | ${dist(r.backlog, 'p50')} | ${dist(r.backlog, 'p95')} | ${dist(r.backlog, 'p99')} | ${dist(r.backlog, 'max')} | ${dist(r.wait, 'p50')} / ${dist(r.wait, 'max')} | ${r.checks.records} / ${r.checks.backlogSpans > 0 ? r.checks.backlogSpans : DASH} / ${r.checks.histogramCount} | ${formatSeconds(r.checks.recordMeanBacklogS)} / ${r.checks.backlogSpans > 0 ? formatSeconds(r.checks.spanMeanBacklogS) : DASH} / ${formatSeconds(r.checks.histogramMeanBacklogS)} |`);
  }
  out.push('');
  return out;
}

function scenarioSection<K extends ScenarioId>(scenario: Registry[K], own: ScenarioResultsOf<K> | undefined, results: Results, { chart, link, shown }: { chart: (name: string) => string[]; link: (path: string) => string; shown: Shown }): string[] {
  if (!own) return [];
  return scenario.section({
    runs: Object.values(own.runs).sort((a, b) => variantOrder(a.variant) - variantOrder(b.variant)),
    params: own.params,
    profile: results.profile,
    label: (v) => variantCell(v, shown),
    chart,
    link,
  });
}

function variantsSection(results: Results): string[] {
  const out = ['## Variants', '', 'Each run is one delivery mode of one worker stack in front of one queue.', ''];
  out.push('| mode | what bounds in-transit messages |', '|---|---|');
  for (const m of new Set(results.variants.map((v) => v.mode))) out.push(`| \`${m}\` | ${MODES[m].boundedBy} |`);
  out.push('', '| stack | worker |', '|---|---|');
  for (const s of new Set(results.variants.map((v) => v.stack))) out.push(`| \`${s}\` | ${STACKS[s].title} |`);
  out.push('', '| queue | what the sidecar takes messages from |', '|---|---|');
  // A scenario may run on a queue of its own whatever --queue said (topology: rabbitmq).
  const ran = Object.values(results.scenarios).flatMap((own) => Object.values(own.runs as Readonly<Record<string, { readonly variant: Variant }>>).map((r) => r.variant));
  for (const q of QUEUE_IDS.filter((id) => [...results.variants, ...ran].some((v) => v.queue === id))) out.push(`| \`${q}\` | ${QUEUES[q].title} |`);
  out.push('');
  return out;
}
