/**
 * report.md from results.json: the table of DESIGN.md section 1's five
 * numbers per mode first, then the generated conclusion, the machine, and a
 * section per scenario with its chart and the numbers behind it.
 */
import type { Distribution } from '../lib/distribution.ts';
import { MODES } from '../modes.ts';
import type { Arrival, ModeSummary, Results, ScenarioRun } from '../results.ts';
import { formatPercent, formatSeconds } from '../summary.ts';
import type { Chart } from './charts.ts';

export function renderMarkdown(results: Results, charts: readonly Chart[]): string {
  const out: string[] = [];
  const e = results.environment;
  out.push('# gRPC backlog lab: experiment report', '');
  out.push(`Regenerate with \`${results.command}\` (${results.profile.name} profile, ${formatSeconds(results.durationS)} on the machine below). Numbers come from what the services export: the sidecar's Stats RPC, the workers' /metrics, their \`message processed\` logs and each message's \`backlog wait\` span; [docs/experiments.md](${docsLink(results)}) explains the scenarios and the fields of results.json.`, '');
  out.push(...summaryTable(results.summary), '');
  out.push(...legend(results), '');
  if (results.failures.length > 0) {
    out.push('**Some scenario runs failed**; their numbers are missing:', '');
    for (const f of results.failures) out.push(`- ${f.scenario} · ${f.mode}: ${f.error.split('\n')[0] ?? ''}`);
    out.push('');
  }
  out.push('## Conclusion', '');
  for (const line of results.conclusion) out.push(`- ${line}`);
  if (results.conclusion.length === 0) out.push('Nothing to compare: a conclusion needs `stream` and at least one other mode in the same scenario.');
  out.push('');
  out.push('## Machine and versions', '');
  out.push(`Node ${e.node}, grpc-js ${e.grpcJs}; ${e.cpuModel}, ${e.cores} cores, ${e.memoryGiB} GiB memory; ${e.os}. Load average (1 min) ${e.loadAverageStart} at the start and ${e.loadAverageEnd} at the end: every process of the lab shares these cores, so a busy machine stretches the times (not the counts). All processes run on this one host, so backlog times subtract timestamps of one clock.`, '');
  out.push(`Profile \`${results.profile.name}\`: ${results.profile.processingDelayMs} ms of work per message, ${results.profile.payloadBytes}-byte payloads, sampled every ${results.profile.sampleIntervalMs} ms. Generated ${results.generatedAt}.`, '');
  out.push(...sections(results, charts));
  return `${out.join('\n')}\n`;
}

function docsLink(results: Results): string {
  // The committed report lives in docs/report/; a run elsewhere links to the repository's copy by path.
  return results.command.includes('--out docs/report') ? '../experiments.md' : 'docs/experiments.md';
}

function summaryTable(summary: readonly ModeSummary[]): string[] {
  const rows = [
    '| mode | 1. max in transit per worker | 2. client backlog p50 / p95 / p99 / max | 3a. new worker: first message after (hoard · scale-out) | 3b. in transit when they joined → taken by them (hoard · scale-out) | 4. high-priority delay, first / last | 5. kill: held → lost / redelivered |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const m of summary) {
    rows.push(`| \`${m.mode}\` | ${maxCell(m)} | ${backlogCell(m)} | ${firstCell(m)} | ${arrivalCell(m)} | ${priorityCell(m)} | ${killCell(m)} |`);
  }
  return rows;
}

const dash = '–';

function maxCell(m: ModeSummary): string {
  return m.maxInTransit ? `**${m.maxInTransit.value}** (${m.maxInTransit.scenario})` : dash;
}

function backlogCell(m: ModeSummary): string {
  if (!m.backlog) return dash;
  const d = m.backlog.distribution;
  return `${[d.p50, d.p95, d.p99].map(formatSeconds).join(' / ')} / **${formatSeconds(d.max)}**`;
}

function slowestFirst(a: ModeSummary['hoardArrival']): string {
  if (!a) return dash;
  const times = a.timeToFirstMessageS;
  if (times.length === 0) return dash;
  if (times.some((t) => t === null)) return times.every((t) => t === null) ? '**never**' : `${times.filter((t) => t === null).length} never`;
  return formatSeconds(Math.max(...times.filter((t): t is number => t !== null)));
}

function firstCell(m: ModeSummary): string {
  return `${slowestFirst(m.hoardArrival)} · ${slowestFirst(m.scaleOutArrival)}`;
}

function arrivalCell(m: ModeSummary): string {
  const one = (a: Arrival | null): string => (a ? `${a.inTransit} → ${a.newWorkersGot}` : dash);
  return `${one(m.hoardArrival)} · ${one(m.scaleOutArrival)}`;
}

function priorityCell(m: ModeSummary): string {
  if (!m.highPriority) return dash;
  const d = m.highPriority.delay;
  return `**${formatSeconds(d.min)}** / ${formatSeconds(d.max)} (${m.highPriority.lowOvertakingMax} low first)`;
}

function killCell(m: ModeSummary): string {
  if (!m.kill) return dash;
  return `${m.kill.heldAtKill} → **${m.kill.lost} lost** / ${m.kill.redelivered} redelivered`;
}

function legend(results: Results): string[] {
  const p = results.profile;
  return [
    'How to read the table (DESIGN.md section 1):',
    '',
    `1. Largest number of messages the sidecar had handed to gRPC for one worker that the worker had not started (dispatched in Stats minus \`worker_messages_started_total\`, sampled every ${p.sampleIntervalMs} ms), over hoard, scale-out, priority and kill; the scenario where it peaked in brackets.`,
    '2. Dispatch to start of processing, per message, from its `backlog wait` span, in the scale-out scenario (steady load at three times one worker\'s capacity).',
    `3. a: slowest of the new workers, from its \`worker started\` log line to the start of its first message; "never": it got none. b: messages in transit to the workers already running at the moment the first new worker came up, and how many of those the new workers ever processed. Hoard: ${p.hoard.messages} messages, a worker at ${p.hoard.hoarderDelayMs} ms each, ${p.hoard.laterWorkers} more join; scale-out: ${p.scaleOut.newWorkers} join a loaded worker.`,
    `4. Publish (the runner sent the Publish call) to start of processing of the first and the last of ${p.priority.highMessages} high-priority messages published together behind ${p.priority.lowMessages} low-priority ones on one worker (the last also waits for the other high ones); in brackets, how many low-priority messages were still processed before them.`,
    '5. Messages dispatched to the killed worker and not finished by it (in transit plus the one in hand), how many the sidecar counted lost, and how many another worker processed again (attempt > 1).',
  ];
}

function sections(results: Results, charts: readonly Chart[]): string[] {
  const out: string[] = [];
  const chart = (name: string): string[] => {
    const c = charts.find((x) => x.name === name);
    return c ? [`![${c.title}](charts/${c.name}.png)`, '', `([SVG](charts/${c.name}.svg))`, ''] : [];
  };
  out.push('## In transit per worker over time', '');
  out.push(...chart('in-transit-scale-out'), ...chart('in-transit-hoard'));
  if (results.scaleOut.length > 0) {
    out.push('Scale-out per mode:', '');
    out.push('| mode | rate | max in transit (first worker) | in transit when 4 joined → taken by them | unstarted then → taken by them | drain after publishing stopped | processed per worker |', '|---|---|---|---|---|---|---|');
    for (const r of results.scaleOut) {
      const first = r.workers[0];
      out.push(`| \`${r.mode}\` | ${r.ratePerS} msg/s | ${first?.maxInTransit ?? dash} | ${r.arrival.inTransit} → ${r.arrival.newWorkersGot} | ${r.arrival.unstarted} → ${r.arrival.newWorkersGotOfUnstarted} | ${formatSeconds(r.drainS)} | ${r.workers.map((w) => w.processed).join(', ')} |`);
    }
    out.push('');
  }

  out.push('## Client backlog', '');
  out.push(...chart('backlog'));
  const runs: ScenarioRun[] = [...results.hoard, ...results.scaleOut, ...results.priority, ...results.kill];
  if (runs.length > 0) {
    out.push('Per scenario and mode, from the backlog spans; the last columns check them against the workers\' `worker_client_backlog_seconds` histogram (count and mean must agree).', '');
    out.push('| scenario | mode | messages | p50 | p95 | p99 | max | publish → start p50 / max | spans / histogram count | span / histogram mean |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const r of runs) {
      out.push(`| ${r.scenario} | \`${r.mode}\` | ${r.backlog?.count ?? 0} | ${dist(r.backlog, 'p50')} | ${dist(r.backlog, 'p95')} | ${dist(r.backlog, 'p99')} | ${dist(r.backlog, 'max')} | ${dist(r.wait, 'p50')} / ${dist(r.wait, 'max')} | ${r.checks.backlogSpans} / ${r.checks.histogramCount} | ${formatSeconds(r.checks.spanMeanBacklogS)} / ${formatSeconds(r.checks.histogramMeanBacklogS)} |`);
    }
    out.push('');
  }

  out.push('## New workers', '');
  out.push(...chart('first-message'));
  if (results.hoard.length > 0) {
    out.push('Hoard per mode:', '');
    out.push('| mode | in transit to the hoarder when they joined → taken by them | unstarted then → taken by them | processed (hoarder, later) | time to first message of each later worker | last message started at |', '|---|---|---|---|---|---|');
    for (const r of results.hoard) {
      const later = r.workers.filter((w) => w.role === 'later').map((w) => (w.timeToFirstMessageS === null ? 'never' : formatSeconds(w.timeToFirstMessageS)));
      out.push(`| \`${r.mode}\` | ${r.arrival.inTransit} → ${r.arrival.newWorkersGot} | ${r.arrival.unstarted} → ${r.arrival.newWorkersGotOfUnstarted} | ${r.hoarderProcessed}, ${r.laterProcessed} | ${later.join(', ')} | ${formatSeconds(r.lastStartS)} |`);
    }
    out.push('');
  }

  if (results.priority.length > 0) {
    out.push('## High priority behind a backlog', '');
    out.push(...chart('priority'));
    out.push('| mode | low-priority in transit when the high ones were published | high-priority delay, each | low-priority processed before them |', '|---|---|---|---|');
    for (const r of results.priority) {
      out.push(`| \`${r.mode}\` | ${r.lowInTransitWhenHighPublished} | ${r.high.map((h) => formatSeconds(h.delayS)).join(', ')} | ${Math.max(0, ...r.high.map((h) => h.lowOvertaking))} |`);
    }
    out.push('');
  }

  if (results.kill.length > 0) {
    out.push('## Worker killed while holding messages', '');
    out.push(...chart('kill'));
    out.push('| mode | published | in transit at the kill | held (in transit + in hand) | lost (Stats) | requeued (Stats) | redelivered (attempt > 1) | never processed by anyone |', '|---|---|---|---|---|---|---|---|');
    for (const r of results.kill) {
      out.push(`| \`${r.mode}\` | ${r.published} | ${r.inTransitAtKill} | ${r.heldAtKill} | ${r.lost} | ${r.requeued} | ${r.redelivered} | ${r.neverProcessed} |`);
    }
    out.push('');
  }

  const sweep = results.sizeSweep;
  if (sweep) {
    const c = sweep.constants;
    out.push('## Size sweep: the model of DESIGN.md section 4', '');
    out.push(...chart('size-sweep'));
    out.push('The constants, read from the running Node and grpc-js by `experiments/model.ts` rather than typed in:', '');
    out.push('| constant | value | read from |', '|---|---|---|');
    out.push(`| Q | ${c.q} messages | \`readableHighWaterMark\` of a real grpc-js client call (object mode) |`);
    out.push(`| H | ${c.h} bytes | \`readableHighWaterMark\` of a real Node \`ClientHttp2Stream\`, the kind grpc-js pauses |`);
    out.push(`| B | ${c.serverBuffer} messages | \`writableHighWaterMark\` of a real grpc-js server call: \`write()\` returns false at B |`);
    for (const w of c.windows) {
      out.push(`| W, option ${w.option === 0 ? 'unset' : w.option} | ${w.streamWindow} bytes (connection: ${w.connectionWindow}) | SETTINGS_INITIAL_WINDOW_SIZE a raw HTTP/2 server received from a grpc-js channel with \`grpc-node.flow_control_window\` ${w.option === 0 ? 'unset' : `= ${w.option}`} |`);
    }
    out.push('');
    out.push(`Model: Q + (H + W)/(S + 5) on the client, plus 1..${c.serverBuffer} on the server; its single number is the centre of that range, and the deviation is measured against it. Refined range: the real size of a Delivery on the wire (M, encoded with the contract) instead of S + 5, and Node's http2 returning window to the sender only once half of it is consumed (nghttp2 sends WINDOW_UPDATE at W/2), so the client holds H + W/2 to H + W bytes: Q + (H + W/2)/M + 1 .. Q + (H + W)/M + ${c.serverBuffer}.`, '');
    out.push('| payload S | window W | wire bytes M | measured | model (client + server range) | deviation | refined range | inside refined |', '|---|---|---|---|---|---|---|---|');
    for (const p of sweep.points) {
      const inside = p.measured >= p.refinedLow && p.measured <= p.refinedHigh;
      out.push(`| ${p.payloadBytes} | ${p.streamWindow} | ${p.wireBytes} | **${p.measured}** | ${p.model} (${p.modelClient} + 1..${c.serverBuffer}: ${p.modelLow}..${p.modelHigh}) | ${formatPercent(p.deviation)} | ${p.refinedLow}..${p.refinedHigh} | ${inside ? 'yes' : 'no'} |`);
    }
    out.push('');
  }
  out.push('## Modes', '');
  out.push('| mode | what bounds in-transit messages |', '|---|---|');
  for (const m of results.modes) out.push(`| \`${m}\` | ${MODES[m].boundedBy} |`);
  out.push('');
  return out;
}

function dist(d: Distribution | null, key: 'min' | 'p50' | 'p95' | 'p99' | 'max'): string {
  return d ? formatSeconds(d[key]) : dash;
}
