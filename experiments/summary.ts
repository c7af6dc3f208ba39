/**
 * The five numbers of DESIGN.md section 1 per mode, and a conclusion written
 * from them. Nothing here is measured; it only reads results.
 */
import { MODES, type ModeId } from './modes.ts';
import type { Arrival, HoardRun, ModeSummary, Results, ScaleOutRun, ScenarioRun, SizeSweep } from './results.ts';

type Measured = Pick<Results, 'hoard' | 'scaleOut' | 'priority' | 'kill' | 'sizeSweep'>;

export function summarize(modes: readonly ModeId[], r: Measured): ModeSummary[] {
  return modes.map((mode) => {
    const hoard = r.hoard.find((x) => x.mode === mode);
    const scaleOut = r.scaleOut.find((x) => x.mode === mode);
    const priority = r.priority.find((x) => x.mode === mode);
    const kill = r.kill.find((x) => x.mode === mode);
    const runs: ScenarioRun[] = [hoard, scaleOut, priority, kill].filter((x): x is NonNullable<typeof x> => x !== undefined);
    const top = runs.reduce<ScenarioRun | undefined>((best, run) => (best === undefined || run.maxInTransit > best.maxInTransit ? run : best), undefined);
    const backlogRun = [scaleOut, hoard, priority].find((x) => x?.backlog);
    return {
      mode,
      boundedBy: MODES[mode].boundedBy,
      maxInTransit: top ? { value: top.maxInTransit, scenario: top.scenario } : null,
      backlog: backlogRun?.backlog ? { distribution: backlogRun.backlog, scenario: backlogRun.scenario } : null,
      hoardArrival: hoard ? withTimes(hoard.arrival, hoard, 'later') : null,
      scaleOutArrival: scaleOut ? withTimes(scaleOut.arrival, scaleOut, 'new') : null,
      highPriority: priority?.highDelay ? {
        delay: priority.highDelay,
        lowOvertakingMax: Math.max(0, ...priority.high.map((h) => h.lowOvertaking)),
        lowInTransit: priority.lowInTransitWhenHighPublished,
      } : null,
      kill: kill ? {
        heldAtKill: kill.heldAtKill,
        inTransitAtKill: kill.inTransitAtKill,
        lost: kill.lost,
        redelivered: kill.redelivered,
        neverProcessed: kill.neverProcessed,
      } : null,
    };
  });
}

function withTimes(a: Arrival, run: ScenarioRun, role: string): Arrival & { timeToFirstMessageS: (number | null)[] } {
  return { ...a, timeToFirstMessageS: run.workers.filter((w) => w.role === role).map((w) => w.timeToFirstMessageS) };
}

/** Seconds for a reader: "0.8 ms", "120 ms", "3.4 s". */
export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined) return 'n/a';
  const abs = Math.abs(s);
  if (abs < 0.001) return `${(s * 1000).toFixed(2)} ms`;
  if (abs < 0.01) return `${(s * 1000).toFixed(1)} ms`;
  if (abs < 1) return `${Math.round(s * 1000)} ms`;
  if (abs < 100) return `${s.toFixed(1)} s`;
  return `${Math.round(s)} s`;
}

export function formatPercent(x: number): string {
  return `${x >= 0 ? '+' : ''}${Math.round(x * 100)} %`;
}

/** Sentences from the numbers: each says what was measured and what it means, and only if its data is there. */
export function conclude(summary: readonly ModeSummary[], r: Measured, payloadBytes: number): string[] {
  const out: string[] = [];
  const by = (mode: ModeId): ModeSummary | undefined => summary.find((m) => m.mode === mode);
  const stream = by('stream');
  const bounded = summary.filter((m) => m.mode !== 'stream');

  if (stream?.maxInTransit && bounded.some((m) => m.maxInTransit)) {
    const others = bounded.filter((m) => m.maxInTransit).map((m) => `${m.mode} ${m.maxInTransit?.value}`).join(', ');
    const ceiling = r.sizeSweep?.points.find((p) => p.payloadBytes === payloadBytes && p.windowOption === 0);
    const limit = ceiling ? ` Only the HTTP/2 window and the buffers, counted in bytes, limit that number: a stopped reader of ${payloadBytes}-byte messages ended up with ${ceiling.measured} (size sweep).` : '';
    out.push(`**In transit.** In \`stream\` mode up to ${stream.maxInTransit.value} messages sat in transit to one worker (${stream.maxInTransit.scenario}), sent but not started, with no say from the worker.${limit} With credits or polling the worker set the bound: ${others}.`);
  }
  if (stream?.backlog && bounded.some((m) => m.backlog)) {
    const worst = bounded.filter((m) => m.backlog).reduce((a, b) => ((a.backlog?.distribution.max ?? 0) >= (b.backlog?.distribution.max ?? 0) ? a : b));
    out.push(`**Client backlog.** Under the same load (${stream.backlog.scenario}), messages waited in the \`stream\` worker's client backlog ${formatSeconds(stream.backlog.distribution.p50)} at the median and up to ${formatSeconds(stream.backlog.distribution.max)}, out of the sidecar's sight; the longest any credit or poll message waited there was ${formatSeconds(worst.backlog?.distribution.max)} (${worst.mode}). The work waits either way when load exceeds capacity, but only in the sidecar's queue can it still be given to another worker or reordered.`);
  }
  const hoardLine = arrivalSentence(summary, 'hoardArrival', r.hoard);
  if (hoardLine) out.push(hoardLine);
  const scaleLine = scaleOutSentence(summary, r.scaleOut);
  if (scaleLine) out.push(scaleLine);
  if (stream?.highPriority && bounded.some((m) => m.highPriority)) {
    const others = bounded.filter((m) => m.highPriority).map((m) => `${m.mode} ${formatSeconds(m.highPriority?.delay.min)}${m.highPriority && m.highPriority.lowOvertakingMax > 0 ? ` (after ${m.highPriority.lowOvertakingMax} low)` : ''}`).join(', ');
    out.push(`**Priority.** The first of the high-priority messages published behind a low-priority backlog started ${formatSeconds(stream.highPriority.delay.min)} later in \`stream\` mode: the ${stream.highPriority.lowOvertakingMax} low-priority messages already in transit went first, because the sidecar's priority queue cannot reorder what it has sent. With credits or polling it started after ${others}.`);
  }
  if (stream?.kill && bounded.some((m) => m.kill)) {
    const others = bounded.filter((m) => m.kill).map((m) => `${m.mode} lost ${m.kill?.lost} and redelivered ${m.kill?.redelivered}`).join('; ');
    out.push(`**Worker death.** Killing a \`stream\` worker lost ${stream.kill.lost} messages: all it held (${stream.kill.inTransitAtKill} in transit and the one in hand); no worker ever processed them. ${others}.`);
  }
  const sweep = sweepSentence(r.sizeSweep);
  if (sweep) out.push(sweep);
  const verdict = answer(summary, r);
  if (verdict) out.push(verdict);
  return out;
}

function arrivalSentence(summary: readonly ModeSummary[], key: 'hoardArrival', runs: readonly HoardRun[]): string | undefined {
  const stream = summary.find((m) => m.mode === 'stream')?.[key];
  const run = runs.find((x) => x.mode === 'stream');
  if (!stream || !run) return undefined;
  const never = stream.timeToFirstMessageS.every((t) => t === null);
  const others = summary.filter((m) => m.mode !== 'stream' && m[key]).map((m) => {
    const times = (m[key]?.timeToFirstMessageS ?? []).filter((t): t is number => t !== null);
    return `${m.mode} ${times.length > 0 ? formatSeconds(Math.max(...times)) : 'never'}`;
  });
  const hoarder = run.workers.find((w) => w.role === 'hoarder');
  return `**New workers (hoard).** When two workers joined a slow one, ${stream.inTransit} of the ${run.arrival.unstarted} unstarted messages were already in transit to it in \`stream\` mode, and the new workers got ${stream.newWorkersGot} of them${never ? ': they never received a message, while the first worker took until ' + formatSeconds(run.lastStartS) + ' to start its last one' + (hoarder ? ` at ${hoarder.delayMs} ms each` : '') : ''}. With credits or polling the new workers had their first message within ${others.join(', ')} of starting.`;
}

function scaleOutSentence(summary: readonly ModeSummary[], runs: readonly ScaleOutRun[]): string | undefined {
  const stream = runs.find((x) => x.mode === 'stream');
  if (!stream) return undefined;
  const others = runs.filter((x) => x.mode !== 'stream');
  const drains = others.map((x) => `${x.mode} ${formatSeconds(x.drainS)}`).join(', ');
  const s = summary.find((m) => m.mode === 'stream')?.scaleOutArrival;
  return `**Scale-out.** At ${stream.ratePerS} msg/s (three workers' worth), the first \`stream\` worker had ${s?.inTransit ?? stream.arrival.inTransit} messages in transit when four more came up; they got ${stream.arrival.newWorkersGot} of those, so that worker alone worked them off and the backlog took ${formatSeconds(stream.drainS)} to drain after publishing stopped${drains ? ` (${drains} in the other modes)` : ''}.`;
}

function sweepSentence(sweep: SizeSweep | null): string | undefined {
  if (!sweep || sweep.points.length === 0) return undefined;
  const big = sweep.points.filter((p) => p.payloadBytes >= 1000);
  const worst = (list: typeof sweep.points): number => Math.max(0, ...list.map((p) => Math.abs(p.deviation)));
  const inside = sweep.points.filter((p) => p.measured >= p.refinedLow && p.measured <= p.refinedHigh).length;
  const c = sweep.constants;
  const small = sweep.points.filter((p) => p.payloadBytes < 1000);
  const smallest = small.length > 0 ? Math.min(...small.map((p) => p.payloadBytes)) : undefined;
  const wire = small[0]?.wireBytes;
  return `**The model.** With Q = ${c.q}, H = ${c.h} and W as read from Node ${c.nodeVersion} and grpc-js ${c.grpcJsVersion}, Q + (H + W)/(S + 5) plus the middle of the server's 1..${c.serverBuffer} matched the stopped reader within ${Math.round(worst(big) * 100)} % for payloads of 1000 bytes and more${smallest !== undefined ? `, and within ${Math.round(worst(small) * 100)} % at ${smallest} bytes, where a Delivery is really ${wire} bytes on the wire, not ${smallest + 5}` : ''}. With the real wire size and Node's http2 returning window in steps of W/2, ${inside} of ${sweep.points.length} measurements fall inside the model's range.${windowSentence(sweep)} Only credits bound it by count.`;
}

/** What shrinking the window did for 1000-byte messages, against the floor Q + H/(S + 5) it cannot remove. */
function windowSentence(sweep: SizeSweep): string {
  const at = sweep.points.filter((p) => p.payloadBytes === 1000);
  const base = at.find((p) => p.windowOption === 0);
  const small = at.filter((p) => p.windowOption > 0 && p.streamWindow < (base?.streamWindow ?? 0)).sort((a, b) => a.streamWindow - b.streamWindow)[0];
  if (!base || !small) return '';
  const floor = Math.round(sweep.constants.q + sweep.constants.h / (1000 + 5));
  return ` Shrinking the window to ${small.streamWindow} bytes took 1000-byte messages only from ${base.measured} to ${small.measured} in transit: Q + H/(S + 5) = ${floor} stays whatever the window.`;
}

function answer(summary: readonly ModeSummary[], r: Measured): string | undefined {
  const stream = summary.find((m) => m.mode === 'stream');
  const others = summary.filter((m) => m.mode !== 'stream');
  if (!stream?.maxInTransit || others.length === 0) return undefined;
  // Only what this run measured goes into the verdict.
  const failings: string[] = [];
  const streamHoard = r.hoard.find((x) => x.mode === 'stream');
  const streamScale = r.scaleOut.find((x) => x.mode === 'stream');
  if ((streamHoard && streamHoard.arrival.inTransit > 0 && streamHoard.arrival.newWorkersGot === 0) || (streamScale && streamScale.arrival.inTransit > 0 && streamScale.arrival.newWorkersGot === 0)) failings.push('none of them went to a worker added later');
  if (stream.highPriority && stream.highPriority.lowOvertakingMax > 0) failings.push(`a high-priority message waited behind ${stream.highPriority.lowOvertakingMax} of them`);
  if (stream.kill && stream.kill.lost > 0) failings.push(`${stream.kill.lost} were lost when their worker died`);
  const safe = others.filter((m) => m.kill && m.kill.lost === 0 && m.kill.neverProcessed === 0).map((m) => `\`${m.mode}\``);
  const bounded = others.filter((m) => m.maxInTransit && m.maxInTransit.value <= 10).map((m) => `\`${m.mode}\``);
  const control: string[] = [];
  if (bounded.length > 0) control.push(`held no more than the worker asked for (${bounded.join(', ')})`);
  if (safe.length > 0) control.push(`lost nothing when a worker died (${safe.join(', ')})`);
  return `**Answer.** Plain gRPC server streaming hands control of the messages to the transport: up to ${stream.maxInTransit.value} in transit to one worker${failings.length > 0 ? `, and ${failings.join('; ')}` : ''}. ${control.length > 0 ? `Application-level flow control kept it with the sidecar: it ${control.join(' and ')}. ` : ''}So stream between sidecar and service only with credits (a prefetch the worker grants, one ack per message), or pull one message per free slot; plain streaming is a fit only for work that may be lost and need not be balanced.`;
}

