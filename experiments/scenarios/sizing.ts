/**
 * sizing (credit mode): the prefetch a worker needs. With prefetch 1 a
 * credit worker waits a round trip after every message (its ack travels to
 * the sidecar, the next delivery travels back); a larger prefetch hides that
 * wait, and costs messages in transit that no other worker can take and
 * that a high-priority message must wait behind. RabbitMQ's rule of thumb is
 * a prefetch of about RTT / T + 1; this measures it.
 *
 * One sidecar per variant with a steady backlog (the queue never runs dry,
 * so the worker never waits for it), and one worker at a time, one per
 * service time and prefetch. First the round trip itself: prefetch 1 and no
 * work, so each message's idle time is the time from its ack to the start
 * of the next. Each cell measures over a window that opens and closes at a
 * message completion, from the worker's own counters
 * (worker_processing_seconds_sum and _count): busy fraction, throughput, and
 * idle time per message; what it held in transit; the client
 * backlog (worker_client_backlog_seconds); the worker's and the sidecar's
 * CPU per message (process_cpu_seconds_total); and what one high-priority
 * message published at a random moment early in the window waited
 * (worker_end_to_end_seconds minus the service time).
 */
import { scrape, sum, type Sample as MetricSample } from '@backlog-lab/harness/prometheus-text';
import { PRIORITY_HIGH, PRIORITY_NORMAL } from '@backlog-lab/common/priority';
import { round } from '../lib/distribution.ts';
import { nowMs, scrapeWorker, sleep, startLab, type Lab, type WorkerHandle } from '../lib/lab.ts';
import { CONFIG, VEGA_LITE_SCHEMA, type Chart } from '../report/chart.ts';
import { formatSeconds, listing } from '../report/format.ts';
import { MODES } from '../variants/modes.ts';
import { variantKey, variantLabel, type Shown, type Variant } from '../variants/variant.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';

export interface SizingParams {
  /**
   * Work per message, in whole or half milliseconds. The worker's delay is a
   * timer in whole milliseconds, so n.5 ms runs as n or n + 1 ms at random
   * (PROCESSING_JITTER_MS 1); the report shows the service time measured.
   */
  readonly serviceTimesMs: readonly number[];
  readonly prefetches: readonly number[];
  /** A cell's window lasts at least this long ... */
  readonly windowS: number;
  /** ... and at least this many service times. */
  readonly windowMessages: number;
  /** Once the worker has finished its first messages, this long before the window opens (the JIT warms up). */
  readonly warmupMs: number;
  /** The sidecar's in flight and queue are sampled this often during a window. */
  readonly sampleMs: number;
}

export interface SizingCell {
  /** Nominal work per message. */
  readonly serviceTimeMs: number;
  readonly prefetch: number;
  /** Wall time between the completions that open and close the window. */
  readonly windowS: number;
  /** Messages finished in the window (worker_processing_seconds_count). */
  readonly processed: number;
  /** Their processing time (worker_processing_seconds_sum). */
  readonly processingS: number;
  /** processingS / processed: the service time as measured. */
  readonly serviceS: number;
  /** processingS / windowS. */
  readonly busy: number;
  readonly throughputPerS: number;
  /** (windowS - processingS) / processed: what each message cost besides its work. */
  readonly idlePerMessageS: number;
  /**
   * Messages dispatched and not yet started, averaged over the window: the
   * increase of worker_client_backlog_seconds_sum over windowS (Little's
   * law; the worker is not scraped during the window, since a scrape stalls
   * its event loop for milliseconds).
   */
  readonly inTransitMean: number;
  /** The sidecar's in flight for the worker (dispatched, not acked), mean of the Stats samples. */
  readonly inFlightMean: number;
  /** Mean dispatch to start of the window's normal-priority messages (worker_client_backlog_seconds). */
  readonly clientBacklogS: number;
  /** CPU seconds per message in the window: the worker's and the sidecar's process_cpu_seconds_total. */
  readonly workerCpuPerMessageS: number;
  readonly sidecarCpuPerMessageS: number;
  /**
   * Publish to start of one high-priority message published at a random
   * moment early in the window: its worker_end_to_end_seconds minus
   * serviceS. Null: it had not finished in time.
   */
  readonly highPriorityDelayS: number | null;
  /** Smallest queue depth sampled; above 0, the worker never waited for the queue. */
  readonly minQueued: number;
  readonly samples: number;
}

export interface SizingRun {
  readonly variant: Variant;
  /** Prefetch 1 and no work: each message's idle time is one round trip. */
  readonly roundTrip: SizingCell;
  /** The round trip: roundTrip.idlePerMessageS. */
  readonly roundTripS: number;
  /** In service time order, then prefetch. */
  readonly cells: readonly SizingCell[];
  readonly durationS: number;
}

/** One service time's cells, with what the report reads off them. */
export interface SizingRow {
  readonly serviceTimeMs: number;
  /** Mean of the cells' measured service time. */
  readonly serviceS: number;
  readonly cells: readonly SizingCell[];
  /** The smallest prefetch that kept the worker at least BUSY_TARGET busy; undefined: none did. */
  readonly enough: SizingCell | undefined;
  /** The smallest prefetch within PLATEAU_POINTS of the busiest one: where more credits stop paying. */
  readonly plateau: SizingCell;
  /** What to pick: the smaller of `enough` and `plateau`. */
  readonly pick: SizingCell;
  /** ceil(RTT / T) + 1, with the measured round trip and service time. */
  readonly rule: number;
  /** Idle per message at prefetch 1: the round trip as a worker with this service time sees it; undefined without a prefetch-1 cell. */
  readonly idleAtOneS: number | undefined;
}

const DEFAULT_PARAMS: SizingParams = { serviceTimesMs: [0.5, 1, 2, 5, 10, 100], prefetches: [1, 2, 4, 8, 16, 64], windowS: 2, windowMessages: 40, warmupMs: 300, sampleMs: 250 };
const QUICK_PARAMS: SizingParams = { serviceTimesMs: [1, 10], prefetches: [1, 2, 8], windowS: 1, windowMessages: 20, warmupMs: 200, sampleMs: 250 };

/** The busy fraction a prefetch must keep a worker at to be enough. */
export const BUSY_TARGET = 0.95;

/**
 * Busy fractions vary by a point or two between runs on this machine, so a
 * prefetch this close to the busiest counts as being on its plateau.
 */
export const PLATEAU_POINTS = 0.02;

/** Top-up assumes no worker finishes more than one message per this many ms, whatever its service time. */
const FASTEST_MESSAGE_MS = 0.2;

export const sizing: Scenario<'sizing', SizingRun, SizingParams> = {
  id: 'sizing',
  title: 'Prefetch sizing: the credits a worker needs to stay busy',
  // It sizes credit mode's prefetch, whatever --mode asks for; each cell
  // sets its own PREFETCH over the variant's.
  modes: ['credit-1'],
  profile: { default: DEFAULT_PARAMS, quick: QUICK_PARAMS },

  async run(ctx, variant) {
    const began = nowMs();
    ctx.progress.begin('sizing', variantKey(variant));
    ctx.progress.phase('starting the sidecar');
    const lab = await startLab({ variant, otlpEndpoint: ctx.receiver.endpoint });
    try {
      ctx.progress.phase('round trip: prefetch 1, no work');
      const roundTrip = await measureCell(ctx, lab, 0, 1);
      const cells: SizingCell[] = [];
      for (const serviceTimeMs of ctx.params.serviceTimesMs) {
        for (const prefetch of ctx.params.prefetches) {
          ctx.progress.watch(() => '');
          ctx.progress.phase(`${formatMs(serviceTimeMs)} per message, prefetch ${prefetch}`);
          cells.push(await measureCell(ctx, lab, serviceTimeMs, prefetch));
        }
      }
      return { variant, roundTrip, roundTripS: roundTrip.idlePerMessageS, cells, durationS: round((nowMs() - began) / 1000, 3) };
    } finally {
      await lab.close();
    }
  },

  note: (run) => `round trip ${formatSeconds(run.roundTripS)}; ${rowsOf(run).map((r) => `${formatMs(r.serviceTimeMs)}: prefetch ${r.enough?.prefetch ?? `none, plateau ${r.plateau.prefetch}`} (rule ${r.rule})`).join(', ')}`,

  conclude({ entries }) {
    return entries.flatMap(({ run, variant }) => sizingSentences(run, variant));
  },

  section({ runs, params, label, chart }) {
    if (runs.length === 0) return [];
    const out = [`## ${sizing.title}`, '', ...chart('sizing')];
    out.push(...method(params));
    for (const run of runs) {
      if (runs.length > 1) out.push(`### ${label(run.variant)}`, '');
      out.push(...runTables(run, runs.length > 1 ? '####' : '###'));
    }
    return out;
  },

  charts: (runs, shown) => (runs.some((r) => r.cells.length > 0) ? [sizingChart(runs, shown)] : []),
};

/** The cells grouped by service time, each with its smallest sufficient prefetch and the rule's. */
export function rowsOf(run: SizingRun): SizingRow[] {
  const times = [...new Set(run.cells.map((c) => c.serviceTimeMs))];
  return times.flatMap((serviceTimeMs) => {
    const cells = run.cells.filter((c) => c.serviceTimeMs === serviceTimeMs).sort((a, b) => a.prefetch - b.prefetch);
    const best = Math.max(...cells.map((c) => c.busy));
    const plateau = cells.find((c) => c.busy >= best - PLATEAU_POINTS);
    if (!plateau) return [];
    const enough = cells.find((c) => c.busy >= BUSY_TARGET);
    const serviceS = cells.reduce((n, c) => n + c.serviceS, 0) / cells.length;
    return [{
      serviceTimeMs,
      serviceS,
      cells,
      enough,
      plateau,
      pick: enough && enough.prefetch < plateau.prefetch ? enough : plateau,
      rule: serviceS > 0 ? Math.ceil(run.roundTripS / serviceS) + 1 : 1,
      idleAtOneS: cells.find((c) => c.prefetch === 1)?.idlePerMessageS,
    }];
  });
}

/** PROCESSING_DELAY_MS and PROCESSING_JITTER_MS whose mean is this service time. */
function workEnv(serviceTimeMs: number): { delayMs: number; jitterMs: number } {
  const halves = serviceTimeMs * 2;
  if (!Number.isInteger(halves) || halves < 0) throw new Error(`sizing: a service time must be a whole or half millisecond, got ${serviceTimeMs}`);
  return { delayMs: Math.floor(serviceTimeMs), jitterMs: halves % 2 };
}

interface Counters {
  /** When the worker read them, about: the middle of the scrape. */
  readonly atMs: number;
  readonly cpuS: number;
  readonly processed: number;
  readonly processingS: number;
  readonly backlogCount: number;
  readonly backlogS: number;
  /** Of every priority. */
  readonly backlogAllS: number;
  readonly highDone: number;
  readonly highEndToEndS: number;
}

function countersOf(metrics: readonly MetricSample[], atMs: number): Counters {
  const normal = { priority: 'normal' };
  const high = { priority: 'high' };
  return {
    atMs,
    cpuS: sum(metrics, 'process_cpu_seconds_total'),
    processed: sum(metrics, 'worker_processing_seconds_count'),
    processingS: sum(metrics, 'worker_processing_seconds_sum'),
    backlogCount: sum(metrics, 'worker_client_backlog_seconds_count', normal),
    backlogS: sum(metrics, 'worker_client_backlog_seconds_sum', normal),
    backlogAllS: sum(metrics, 'worker_client_backlog_seconds_sum'),
    highDone: sum(metrics, 'worker_end_to_end_seconds_count', high),
    highEndToEndS: sum(metrics, 'worker_end_to_end_seconds_sum', high),
  };
}

async function readCounters(worker: WorkerHandle): Promise<Counters> {
  const sentMs = nowMs();
  const metrics = await scrapeWorker(worker);
  if (!metrics) throw new Error(`sizing: ${worker.id} cannot be scraped`);
  return countersOf(metrics, (sentMs + nowMs()) / 2);
}

/** Polls until `done` holds; fails after the profile's drain timeout. */
async function pollCounters(ctx: ScenarioContext<SizingParams>, worker: WorkerHandle, what: string, pollMs: number, done: (c: Counters) => boolean): Promise<Counters> {
  const deadline = performance.now() + ctx.profile.drainTimeoutS * 1000;
  for (;;) {
    const c = await readCounters(worker);
    if (done(c)) return c;
    if (performance.now() > deadline) throw new Error(`sizing: ${worker.id} timed out after ${ctx.profile.drainTimeoutS} s waiting for ${what}`);
    await sleep(pollMs);
  }
}

/**
 * The next message completion: a window edge, so the window holds whole
 * messages. It happened between the last scrape that did not see it and the
 * first that did; a scrape takes milliseconds on a loaded machine, so the
 * edge is the middle of the two rather than when the second one returned.
 */
async function nextCompletion(ctx: ScenarioContext<SizingParams>, worker: WorkerHandle, pollMs: number): Promise<Counters> {
  let before = await readCounters(worker);
  const after = await pollCounters(ctx, worker, 'a message to finish', pollMs, (c) => {
    if (c.processed > before.processed) return true;
    before = c;
    return false;
  });
  return { ...after, atMs: (before.atMs + after.atMs) / 2 };
}

async function sidecarCpuS(lab: Lab): Promise<number> {
  return sum(await scrape(lab.sidecar.metricsPort), 'process_cpu_seconds_total');
}

/** Publishes until at least `count` messages wait in the sidecar's queue. */
async function topUp(lab: Lab, count: number, payloadBytes: number): Promise<void> {
  const stats = await lab.sidecar.admin.stats();
  const queued = stats.queueDepth.reduce((n, d) => n + Number(d), 0);
  if (queued < count) await lab.sidecar.admin.publishMany(count - queued, { priority: PRIORITY_NORMAL, payloadBytes });
}

interface HoldSample {
  readonly inFlight: number;
  readonly queued: number;
}

/** From the sidecar alone: what it holds for the worker, and what waits in its queue. */
async function sampleHold(lab: Lab, worker: WorkerHandle): Promise<HoldSample> {
  const stats = await lab.sidecar.admin.stats();
  return {
    inFlight: Number(stats.workers.find((s) => s.workerId === worker.id)?.inFlight ?? 0),
    queued: stats.queueDepth.reduce((n, d) => n + Number(d), 0),
  };
}

async function measureCell(ctx: ScenarioContext<SizingParams>, lab: Lab, serviceTimeMs: number, prefetch: number): Promise<SizingCell> {
  const p = ctx.params;
  const { delayMs, jitterMs } = workEnv(serviceTimeMs);
  const windowMs = Math.max(p.windowS * 1000, p.windowMessages * serviceTimeMs);
  // The high-priority message is behind at most what the worker holds.
  const highWaitMs = (prefetch + 2) * serviceTimeMs;
  // Enough for the fastest this worker could go, from its first message to
  // its stop, so the queue never runs dry under it.
  const busyMs = p.warmupMs + windowMs + highWaitMs + (prefetch + 8) * serviceTimeMs + 500;
  await topUp(lab, Math.ceil((1.25 * busyMs) / Math.max(serviceTimeMs, FASTEST_MESSAGE_MS)) + prefetch, ctx.profile.payloadBytes);

  const id = `sizing-${String(serviceTimeMs).replace('.', 'p')}ms-p${prefetch}`;
  const worker = await lab.startWorker(id, `${formatMs(serviceTimeMs)}, prefetch ${prefetch}`, delayMs, {
    PREFETCH: prefetch,
    PROCESSING_JITTER_MS: jitterMs,
    // Only its counters are read: no span export and no line per message
    // to add the lab's own cost to the round trip on the shared cores.
    LOG_LEVEL: 'info',
    OTEL_TRACES_EXPORTER: 'none',
  });
  try {
    // A completion is seen within a twentieth of a message (at most 5 ms).
    const pollMs = Math.min(5, serviceTimeMs / 20);
    // Its first `prefetch` messages were all sent at once when it connected
    // and waited less than later ones do: the window opens after them.
    await pollCounters(ctx, worker, 'its first messages', Math.max(20, serviceTimeMs), (c) => c.processed >= prefetch + 3);
    await sleep(p.warmupMs);
    const start = await nextCompletion(ctx, worker, pollMs);
    const sidecarStartS = await sidecarCpuS(lab);
    // At a random moment of a message's service, not at the completion the
    // window opened on, when a returning credit could take it at once.
    await sleep(Math.random() * Math.max(serviceTimeMs, 1));
    await lab.sidecar.admin.publish([{ id: `${id}-high`, priority: PRIORITY_HIGH, payload: Buffer.alloc(ctx.profile.payloadBytes, 0x61) }]);
    const samples: HoldSample[] = [];
    ctx.progress.watch(() => {
      const last = samples.at(-1);
      return last ? `in flight ${last.inFlight}, ${last.queued} queued` : '';
    });
    while (nowMs() - start.atMs < windowMs) {
      await sleep(Math.min(p.sampleMs, Math.max(1, windowMs - (nowMs() - start.atMs))));
      samples.push(await sampleHold(lab, worker));
    }
    const end = await nextCompletion(ctx, worker, pollMs);
    const sidecarEndS = await sidecarCpuS(lab);
    samples.push(await sampleHold(lab, worker));
    const processed = end.processed - start.processed;
    const processingS = end.processingS - start.processingS;
    const serviceS = processed > 0 ? processingS / processed : 0;
    // Late only if the sidecar's priority order did not hold: then it has no delay to show.
    const highMs = Math.max(1000, 3 * (prefetch + 2) * Math.max(serviceTimeMs, 1));
    const high = await pollCounters(ctx, worker, 'the high-priority message', pollMs, (c) => c.highDone >= 1 || c.atMs - end.atMs > highMs);
    const windowS = (end.atMs - start.atMs) / 1000;
    const mean = (f: (s: HoldSample) => number): number => samples.reduce((n, s) => n + f(s), 0) / samples.length;
    const backlogCount = end.backlogCount - start.backlogCount;
    return {
      serviceTimeMs,
      prefetch,
      windowS: round(windowS, 4),
      processed,
      processingS: round(processingS),
      serviceS: round(serviceS),
      busy: round(processingS / windowS, 4),
      throughputPerS: round(processed / windowS, 1),
      idlePerMessageS: processed > 0 ? round((windowS - processingS) / processed) : 0,
      inTransitMean: round((end.backlogAllS - start.backlogAllS) / windowS, 2),
      inFlightMean: round(mean((s) => s.inFlight), 2),
      workerCpuPerMessageS: processed > 0 ? round((end.cpuS - start.cpuS) / processed) : 0,
      sidecarCpuPerMessageS: processed > 0 ? round((sidecarEndS - sidecarStartS) / processed) : 0,
      clientBacklogS: backlogCount > 0 ? round((end.backlogS - start.backlogS) / backlogCount) : 0,
      highPriorityDelayS: high.highDone >= 1 ? round(Math.max(0, high.highEndToEndS / high.highDone - serviceS)) : null,
      minQueued: Math.min(...samples.map((s) => s.queued)),
      samples: samples.length,
    };
  } finally {
    // What it held goes back to the queue at once (credit mode requeues on the stream's end).
    await lab.kill(worker);
  }
}

/** "0.5 ms", "100 ms": a nominal service time. */
function formatMs(ms: number): string {
  return `${ms} ms`;
}

/** A mean count: one decimal, none when whole. */
function formatCount(x: number): string {
  return String(Math.round(x * 10) / 10);
}

function formatBusy(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

function method(params: SizingParams): string[] {
  return [
    `Credit mode: one worker at a time on one sidecar whose queue never runs dry (\`minQueued\` in results.json is the smallest queue depth sampled in each window), one worker per service time and prefetch (${listing(params.prefetches.map(String))}). The service time is the worker's \`PROCESSING_DELAY_MS\`, a timer, so the worker sleeps rather than computes, and a timer takes longer than asked: the service time measured (\`worker_processing_seconds\` sum / count) is the one the rule uses. A half millisecond runs as the whole millisecond below or above it at random.`,
    '',
    `Each window opens and closes at a message completion and lasts at least ${params.windowS} s and ${params.windowMessages} service times. **Busy** is the worker's processing seconds over the window's wall seconds (the increase of \`worker_processing_seconds_sum\`, not a sampled gauge). **Idle per message** is (wall − processing) / messages: the round trip where the prefetch is too small to hide it, and what is left once it is hidden. **In transit** is the mean number of messages dispatched and not yet started over the window, the increase of \`worker_client_backlog_seconds_sum\` divided by the window (Little's law: the same as dispatched − started averaged over time, without scraping the worker mid-window, which stalls its event loop for milliseconds); **sidecar in flight** is what the sidecar's Stats, sampled every ${params.sampleMs} ms, count dispatched and not acked. **Client backlog** is the mean dispatch → start of the window's messages (\`worker_client_backlog_seconds\`). **CPU per message** is the increase of each process's \`process_cpu_seconds_total\` over the window's messages. **High-priority delay** is measured, not computed: one high-priority message is published at a random moment of a message's service early in the window, and its publish → start is its \`worker_end_to_end_seconds\` minus the service time. It waits for the message in hand to finish and then behind the prefetch − 1 already sent, about (prefetch − ½) × T; being one message, it varies by up to a service time.`,
    '',
    'The **round trip** is the idle time per message at prefetch 1 with no work: from the worker\'s ack, through the sidecar returning the credit and dispatching the next message, to the worker starting it. That is the wait a prefetch hides in credit mode (a Pull/Ack latency would time poll mode\'s unary calls instead). On loopback it is mostly CPU, the two processes handling the message, not the network; the sidecar, the worker and the runner share this machine\'s two cores with other runs, so it stretches with the load, and busy fractions vary by a point or two between runs (a window\'s edges are found by polling the worker\'s /metrics, within milliseconds of the completions, so a fraction near 100 % can read a little above it). Where the plateau sits near 95 %, that noise decides which prefetch first counts as ≥ 95 %; "within 2 points of the busiest" is the steadier reading.',
    '',
  ];
}

function runTables(run: SizingRun, heading: string): string[] {
  const rows = rowsOf(run);
  const target = percent(BUSY_TARGET);
  const rt = run.roundTrip;
  const cpu = rt.workerCpuPerMessageS + rt.sidecarCpuPerMessageS;
  // Both processes' CPU, on two cores and with their other threads: it can add up to more than the round trip.
  const mostlyCpu = cpu >= 0.5 * (run.roundTripS + rt.serviceS);
  const out = [`Measured round trip: **${formatSeconds(run.roundTripS)}** (prefetch 1, no work: ${rt.processed} messages in ${formatSeconds(rt.windowS)}, ${rt.throughputPerS} msg/s; per round trip the worker used ${formatSeconds(rt.workerCpuPerMessageS)} of CPU and the sidecar ${formatSeconds(rt.sidecarCpuPerMessageS)}${mostlyCpu ? ': on loopback a round trip is mostly the two processes\' CPU, not the wire' : ''}).`, ''];
  out.push(`| service time (measured) | smallest prefetch ≥ ${target} busy | smallest within 2 points of the busiest | rule ceil(RTT / T) + 1 | idle per message at prefetch 1 | in transit | client backlog | high-priority delay (≈ (prefetch − ½) × T) |`, '|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const e = r.enough;
    const bold = (c: SizingCell, text: string): string => (c === r.pick ? `**${text}**` : text);
    const at = (c: SizingCell): string => `${c.prefetch} (${formatBusy(c.busy)})`;
    out.push(`| ${formatMs(r.serviceTimeMs)} (${formatSeconds(r.serviceS)}) | ${e ? bold(e, at(e)) : 'none'} | ${bold(r.plateau, at(r.plateau))} | ${r.rule} | ${formatSeconds(r.idleAtOneS)} | ${formatCount(r.pick.inTransitMean)} | ${formatSeconds(r.pick.clientBacklogS)} | ${formatSeconds(r.pick.highPriorityDelayS)} (≈ ${formatSeconds((r.pick.prefetch - 0.5) * r.serviceS)}) |`);
  }
  out.push('', `The prefetch in bold is the one to pick, and the last three columns are its costs: the smaller of the two, the first that kept the worker ${target} busy or the first within 2 points of the busiest (beyond it more credits bought no more than the noise). A measured prefetch is a point of the grid (${listing(rows[0]?.cells.map((c) => String(c.prefetch)) ?? [])}): the true one or the next above it.`, '');
  for (const r of rows) {
    out.push(`${heading} ${formatMs(r.serviceTimeMs)} per message (measured ${formatSeconds(r.serviceS)})`, '');
    out.push('| prefetch | busy | throughput | idle per message | in transit | sidecar in flight | client backlog | high-priority delay | CPU per message, worker / sidecar |', '|---|---|---|---|---|---|---|---|---|');
    for (const c of r.cells) {
      const mark = c === r.pick ? '**' : '';
      out.push(`| ${mark}${c.prefetch}${mark} | ${mark}${formatBusy(c.busy)}${mark} | ${c.throughputPerS} msg/s | ${formatSeconds(c.idlePerMessageS)} | ${formatCount(c.inTransitMean)} | ${formatCount(c.inFlightMean)} | ${formatSeconds(c.clientBacklogS)} | ${formatSeconds(c.highPriorityDelayS)} | ${formatSeconds(c.workerCpuPerMessageS)} / ${formatSeconds(c.sidecarCpuPerMessageS)} |`);
    }
    out.push('');
  }
  return out;
}

function percent(x: number): string {
  return `${Math.round(x * 100)} %`;
}

function sizingSentences(run: SizingRun, variant: Variant): string[] {
  const rows = rowsOf(run);
  if (rows.length === 0) return [];
  const target = percent(BUSY_TARGET);
  const rtt = formatSeconds(run.roundTripS);
  const picks = rows.map((r) => `${formatMs(r.serviceTimeMs)} (${formatSeconds(r.serviceS)}): ${r.pick.prefetch} (${formatBusy(r.pick.busy)}${r.enough ? (r.enough === r.pick ? '' : `; ${r.enough.prefetch} first reached ${target}`) : `; none reached ${target}`}; rule ${r.rule})`);
  const out = [`**Prefetch sizing.** A \`${MODES[variant.mode].deliveryMode}\` worker's round trip here was ${rtt} (its ack to the start of the next message, at prefetch 1 with no work). By service time (measured), the prefetch to pick, the smallest that kept it at least ${target} busy or came within 2 points of the busiest: ${picks.join(', ')}.`];

  const largest = rows.flatMap((r) => r.cells).reduce((a, b) => (b.prefetch > a.prefetch || (b.prefetch === a.prefetch && (b.highPriorityDelayS ?? 0) > (a.highPriorityDelayS ?? 0)) ? b : a));
  out.push(`**What a prefetch costs.** Each credit is a message in transit that no other worker can take and about one service time more for a high-priority message to wait: at the prefetches above, ${listing(rows.map((r) => `${formatCount(r.pick.inTransitMean)} in transit and ${formatSeconds(r.pick.highPriorityDelayS)} at ${formatMs(r.serviceTimeMs)}`))}${rows.some((r) => r.pick === largest) ? '' : `; at prefetch ${largest.prefetch} and ${formatMs(largest.serviceTimeMs)}, ${formatCount(largest.inTransitMean)} in transit and ${formatSeconds(largest.highPriorityDelayS)}`}. So pick the smallest prefetch that keeps the worker busy, from ceil(RTT / T) + 1 with the round trip measured on your own link, and no more.`);

  const capped = rows.filter((r) => !r.enough);
  if (capped.length > 0) {
    const parts = capped.map((r) => `${formatSeconds(r.plateau.idlePerMessageS)} at ${formatMs(r.serviceTimeMs)}`);
    const fastest = capped[0]!;
    const c = fastest.pick;
    const cores = (c.workerCpuPerMessageS + c.sidecarCpuPerMessageS) * c.throughputPerS;
    out.push(`**Where prefetch stops helping.** At ${listing(capped.map((r) => formatMs(r.serviceTimeMs)))} no prefetch reached ${target}: with the round trip hidden, each message still left the worker idle ${listing(parts)}, its own handling of the message and its waits for a core, which no prefetch hides; the busy fraction tops out at T / (T + that). At ${formatMs(fastest.serviceTimeMs)} the worker and the sidecar spent ${formatSeconds(c.workerCpuPerMessageS + c.sidecarCpuPerMessageS)} of CPU per message together, ${cores.toFixed(2)} of this machine's two cores at ${c.throughputPerS} msg/s${cores >= 0.5 ? ': there the worker is CPU-bound as much as RTT-bound, its round trip is the two processes\' CPU time rather than the network\'s, and its numbers move with the machine\'s load' : ''}.`);
  }

  // The grid is coarse: a rule of 3 is met by the grid's 4.
  const onGrid = (r: SizingRow): SizingCell | undefined => r.cells.find((c) => c.prefetch >= r.rule);
  const under = rows.filter((r) => r.plateau.prefetch > (onGrid(r)?.prefetch ?? Infinity));
  const over = rows.filter((r) => r.plateau.prefetch < r.rule);
  const matched = rows.filter((r) => !under.includes(r) && !over.includes(r));
  const clauses: string[] = [];
  if (matched.length > 0) clauses.push(`it matched where the busy fraction stopped growing at ${listing(matched.map((r) => formatMs(r.serviceTimeMs)))}`);
  if (over.length > 0) clauses.push(`it asked for a spare credit at ${listing(over.map((r) => `${formatMs(r.serviceTimeMs)} (rule ${r.rule}; prefetch ${r.plateau.prefetch} already ${formatBusy(r.plateau.busy)})`))}, where the round trip is a small part of a message`);
  const short = under.flatMap((r) => {
    const cell = onGrid(r);
    return cell && run.roundTripS > 0 ? [{ r, cell, ahead: (cell.prefetch - 1) * r.serviceS }] : [];
  });
  if (short.length > 0) {
    clauses.push(`it asked for too few at ${listing(short.map(({ r }) => `${formatMs(r.serviceTimeMs)} (rule ${r.rule}; busy kept rising to prefetch ${r.plateau.prefetch})`))}: at the rule's prefetch the worker still idled ${listing(short.map(({ cell }) => formatSeconds(cell.idlePerMessageS)))} per message though the messages ahead of it held ${listing(short.map(({ ahead }) => (ahead / run.roundTripS).toFixed(1)))} times the round trip of work, so some round trips took longer than that: a prefetch must cover the long round trips of a busy machine, not the mean`);
  }
  out.push(`**The rule against the measurement.** ceil(RTT / T) + 1 with the ${rtt} round trip: ${clauses.join('; ')}.`);
  return out;
}

function sizingChart(runs: readonly SizingRun[], shown: Shown): Chart {
  const values = runs.flatMap((run) => run.cells.map((c) => ({
    variant: variantLabel(run.variant, shown),
    service: formatMs(c.serviceTimeMs),
    order: c.serviceTimeMs,
    prefetch: c.prefetch,
    busy: c.busy,
  })));
  const prefetches = [...new Set(values.map((v) => v.prefetch))].sort((a, b) => a - b);
  const x = { field: 'prefetch', type: 'quantitative' as const, title: 'prefetch (log)', scale: { type: 'log' as const, base: 2 }, axis: { values: prefetches, format: 'd' } };
  const layer = [
    {
      mark: { type: 'line' as const, point: true, strokeWidth: 2 },
      encoding: {
        x,
        y: { field: 'busy', type: 'quantitative' as const, title: 'busy fraction', scale: { domain: [0, 1] }, axis: { format: '%' } },
        color: { field: 'service', type: 'ordinal' as const, title: 'service time', sort: { field: 'order' }, scale: { scheme: 'viridis' } },
      },
    },
    { mark: { type: 'rule' as const, strokeDash: [4, 3], color: '#888' }, encoding: { y: { datum: BUSY_TARGET } } },
  ];
  return {
    name: 'sizing',
    title: 'Prefetch sizing: busy fraction against prefetch',
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      title: { text: 'Prefetch sizing: busy fraction against prefetch (credit mode)', subtitle: `one line per service time; processing seconds / wall seconds over each window; dashed: ${Math.round(BUSY_TARGET * 100)} %` },
      data: { values },
      ...(runs.length > 1
        ? { facet: { row: { field: 'variant', type: 'nominal' as const, title: null } }, spec: { width: 460, height: 260, layer } }
        : { width: 460, height: 260, layer }),
      config: CONFIG,
    },
  };
}
