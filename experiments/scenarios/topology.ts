/**
 * topology: RabbitMQ behind the sidecars, one shared sidecar for every
 * worker against one sidecar per worker pod (Dapr's shape), in each mode.
 * A backlog is published at once; two slow workers take what they can; two
 * more pods join (scale-out); then the first pod dies (SIGKILL of its
 * worker, and in per-pod of its sidecar too). At each of those moments the
 * broker's own counts (its management API) are read beside the sidecars'
 * Stats and the workers' metrics, so the report can say where the hidden
 * backlog sits (the broker's unacked per sidecar, the sidecar's buffer, the
 * gRPC in transit per worker), what RabbitMQ reports as ready and unacked
 * while messages are in transit, whether the new pods help, and what a dead
 * pod loses.
 */
import { round } from '../lib/distribution.ts';
import { nowMs, sleep, type SidecarHandle, type WorkerHandle } from '../lib/lab.ts';
import type { Sample } from '../lib/sampler.ts';
import { CONFIG, VEGA_LITE_SCHEMA, type Chart } from '../report/chart.ts';
import { DASH, formatSeconds, listing } from '../report/format.ts';
import { MODES, type ModeId } from '../variants/modes.ts';
import { variantKey, variantLabel, type Shown, type Variant } from '../variants/variant.ts';
import { waitConnected, waitHolding, withSession, type ScenarioSession } from './context.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';

export const TOPOLOGIES = ['shared', 'per-pod'] as const;
export type TopologyName = (typeof TOPOLOGIES)[number];

export interface TopologyParams {
  /** Published at once, before anything is processed: the backlog. */
  readonly messages: number;
  /** Workers at the start (per-pod: each with its sidecar). */
  readonly pods: number;
  /** Workers that join once the first ones hold what they can (per-pod: each with its sidecar). */
  readonly newPods: number;
  /** The first workers' processing time: slow, so the backlog outlasts the new pods' start-up. */
  readonly slowDelayMs: number;
  /** QUEUE_PREFETCH of every sidecar: what each may hold unacked upstream. */
  readonly queuePrefetch: number;
}

/** Both sides at one instant: the broker's counts and what the lab counts. */
export interface Moment {
  readonly t: number;
  /** The broker's own counts; null if it had none to give then. */
  readonly brokerReady: number | null;
  readonly brokerUnacked: number | null;
  /** Per live sidecar: held unacked upstream, and how many of those wait in its buffer (not dispatched). */
  readonly sidecars: Readonly<Record<string, { readonly unacked: number; readonly buffered: number }>>;
  /** Per live worker: dispatched - started (the client backlog). */
  readonly inTransit: Readonly<Record<string, number>>;
  /** Per live worker: the sidecar's in flight (client backlog + the one in hand). */
  readonly inFlight: Readonly<Record<string, number>>;
}

export interface TopologyPart {
  readonly topology: TopologyName;
  /** Sidecars started in all (shared: 1). */
  readonly sidecars: number;
  readonly published: number;
  /** The first workers have taken what they can, and the broker's counts have caught up. */
  readonly hold: Moment;
  /** The new pods are connected. */
  readonly join: Moment;
  /** Just before the first pod was killed. */
  readonly kill: Moment;
  readonly victim: string;
  /** Dispatched to the victim and not settled (in transit + in hand). */
  readonly victimInFlight: number;
  /** per-pod: what the victim's sidecar held in its buffer (unacked upstream, so the broker takes it back). */
  readonly victimSidecarBuffered: number;
  /** Backlog messages the new pods processed. */
  readonly newcomersProcessed: number;
  /** Per new pod, its first message done after it was ready (it connects right then); null: it never got one. */
  readonly newcomerFirstDoneS: readonly (number | null)[];
  /** The join to the last message done. */
  readonly drainAfterJoinS: number;
  /** Published ids no worker ever finished. */
  readonly lost: number;
  /** Processed with attempt > 1. */
  readonly redelivered: number;
  /** Ids processed more than once. */
  readonly duplicates: number;
  /** Every broker reading from the hold on, while messages were in transit: the largest ready and unacked, and the most in transit then. */
  readonly whileInTransit: { readonly samples: number; readonly maxReady: number; readonly maxUnacked: number; readonly maxInTransit: number };
  /**
   * credit/poll: broker readings above what the sidecars could hold (the
   * workers' prefetch plus the sidecars' buffers, the largest of the last
   * 1.5 s, since the broker's count lags by up to a second); stream: null.
   */
  readonly unackedAboveBound: number | null;
  readonly series: readonly { readonly t: number; readonly ready: number; readonly unacked: number; readonly inTransit: number; readonly buffered: number }[];
}

export interface TopologyRun {
  readonly scenario: 'topology';
  readonly variant: Variant;
  readonly parts: readonly TopologyPart[];
}

/** What one worker of the mode lets the sidecar have outstanding; null where only bytes bound it. */
const workerBound = (mode: ModeId): number | null => MODES[mode].bound;

function moment(sample: Sample): Moment {
  const inTransit: Record<string, number> = {};
  const inFlight: Record<string, number> = {};
  for (const [id, w] of Object.entries(sample.workers)) {
    if (w.inTransit === null) continue;
    inTransit[id] = w.inTransit;
    inFlight[id] = w.inFlight;
  }
  return {
    t: round(sample.t, 3),
    brokerReady: sample.broker?.ready ?? null,
    brokerUnacked: sample.broker?.unacked ?? null,
    sidecars: Object.fromEntries(Object.entries(sample.sidecars).map(([name, sc]) => [name, { unacked: sc.upstreamUnacked, buffered: sc.queued }])),
    inTransit,
    inFlight,
  };
}

const total = (values: Readonly<Record<string, number>>): number => Object.values(values).reduce((n, v) => n + v, 0);
const sidecarTotal = (m: Moment, field: 'unacked' | 'buffered'): number => Object.values(m.sidecars).reduce((n, s) => n + s[field], 0);

/** A broker reading after the moment the lab sampled: its counts lag the sidecars' by up to a second. */
/**
 * The moment the first workers hold what they can, as the broker reports it.
 * The management API's counts of a queue lag its real state (by seconds for
 * a queue declared a moment ago, here: its first counts can predate the
 * publish), so the reading waits, up to BROKER_FRESH_TIMEOUT_MS, until the
 * broker's unacked is what the sidecars hold unacked upstream: each of their
 * unacked deliveries is one of the broker's. (In stream with upstream ack on
 * dispatch both are 0 from the start; there the readings while messages are
 * in transit, over many seconds, are what show the broker's view.)
 */
async function settledMoment(s: ScenarioSession): Promise<Moment> {
  await sleep(1_200);
  const deadline = performance.now() + BROKER_FRESH_TIMEOUT_MS;
  for (;;) {
    const sample = await s.sampler.sampleNow();
    const sidecarsUnacked = Object.values(sample.sidecars).reduce((n, sc) => n + sc.upstreamUnacked, 0);
    if ((sample.broker !== undefined && sample.broker.unacked === sidecarsUnacked) || performance.now() > deadline) return moment(sample);
    await sleep(250);
  }
}

/** How long the hold reading waits for the broker's counts to catch up with the sidecars'. */
const BROKER_FRESH_TIMEOUT_MS = 15_000;
/** How far the broker's counts may lag the lab's own: the bound check compares a reading with the bounds of this window. */
const BROKER_LAG_S = 3;

/**
 * Until every published id is processed, or nothing more can come: the
 * broker holds nothing, no live sidecar holds anything, no live worker has
 * anything in flight, for two looks a second apart (what a dead pod had in
 * transit never comes back).
 */
async function waitDrained(s: ScenarioSession, ids: readonly string[]): Promise<void> {
  const deadline = performance.now() + s.ctx.profile.drainTimeoutS * 1000;
  let quietSince: number | undefined;
  for (;;) {
    const done = new Set(s.lab.workers.flatMap((w) => w.processed().map((p) => p.messageId)));
    if (ids.every((id) => done.has(id))) return;
    const sample = await s.sampler.sampleNow();
    const live = s.lab.workers.filter((w) => w.alive);
    const idle = sample.broker !== undefined && sample.broker.ready === 0 && sample.broker.unacked === 0 &&
      Object.values(sample.sidecars).every((sc) => sc.queued === 0 && sc.upstreamUnacked === 0) &&
      live.every((w) => (sample.workers[w.id]?.inFlight ?? 0) === 0);
    if (!idle) quietSince = undefined;
    else if (quietSince === undefined) quietSince = performance.now();
    else if (performance.now() - quietSince >= 2_000) return;
    if (performance.now() > deadline) throw new Error(`${variantKey(s.variant)}: ${ids.length - done.size} messages neither processed nor given up within ${s.ctx.profile.drainTimeoutS} s`);
    await sleep(200);
  }
}

async function runPart(ctx: ScenarioContext<TopologyParams>, variant: Variant, topology: TopologyName): Promise<TopologyPart> {
  const { messages, pods, newPods, slowDelayMs, queuePrefetch } = ctx.params;
  const prefix = `topo-${topology}-${variant.mode}`;
  return withSession(ctx, `topology (${topology})`, variant, { QUEUE_PREFETCH: queuePrefetch }, async (s) => {
    /** Per-pod: a sidecar of its own for each of `n` workers (the first pod takes the lab's first sidecar); shared: the lab's one. */
    const sidecarsFor = async (n: number, first: boolean): Promise<SidecarHandle[]> => {
      if (topology === 'shared') return Array.from({ length: n }, () => s.lab.sidecar);
      const fresh = await Promise.all(Array.from({ length: first ? n - 1 : n }, () => s.lab.startSidecar()));
      return first ? [s.lab.sidecar, ...fresh] : fresh;
    };
    ctx.progress.phase(`starting ${pods} ${topology === 'per-pod' ? 'pods' : 'workers'}`);
    const firstSidecars = await sidecarsFor(pods, true);
    const first = await s.lab.startWorkers(firstSidecars.map((sidecar, i) => ({ id: `${prefix}-w${i + 1}`, role: 'first', delayMs: slowDelayMs, sidecar })));
    await waitConnected(s, first.map((w) => w.id));
    ctx.progress.phase(`publishing ${messages}`);
    const ids = await s.publish(messages, { priority: 1, payloadBytes: ctx.profile.payloadBytes, idPrefix: prefix });
    ctx.progress.phase('the first workers taking what they can');
    for (const w of first) await waitHolding(s, w.id, 1);
    const hold = await settledMoment(s);

    ctx.progress.phase(`scale-out: ${newPods} more ${topology === 'per-pod' ? 'pods' : 'workers'}`);
    // Time stands still for the first workers while the new pods start (a
    // pod takes seconds here, a sidecar and a worker in per-pod), so the join
    // finds the backlog the hold left, on any machine. Not in poll: a paused
    // poll worker cannot extend its lease, and it holds only the one in hand.
    const frozen = MODES[variant.mode].deliveryMode === 'poll' ? [] : first;
    for (const w of frozen) s.lab.pause(w);
    const newSidecars = await sidecarsFor(newPods, false);
    const added = await s.lab.startWorkers(newSidecars.map((sidecar, i) => ({ id: `${prefix}-w${pods + i + 1}`, role: 'new', delayMs: ctx.profile.processingDelayMs, sidecar })));
    await waitConnected(s, added.map((w) => w.id));
    const join = moment(await s.sampler.sampleNow());
    const joinMs = nowMs();
    for (const w of frozen) s.lab.resume(w);

    const victim = first[0] as WorkerHandle;
    ctx.progress.phase(`killing ${topology === 'per-pod' ? 'the first pod (worker and sidecar)' : 'the first worker'}`);
    const kill = moment(await s.sampler.sampleNow());
    await Promise.all([s.lab.kill(victim), ...(topology === 'per-pod' ? [s.lab.killSidecar(victim.sidecar)] : [])]);

    ctx.progress.phase('draining');
    await waitDrained(s, ids);
    // The broker's last word after the drain, for the series.
    await settledMoment(s);

    const processed = s.lab.workers.flatMap((w) => w.processed());
    const times = new Map<string, number>();
    for (const p of processed) times.set(p.messageId, (times.get(p.messageId) ?? 0) + 1);
    const addedIds = new Set(added.map((w) => w.id));
    const lastDoneMs = Math.max(joinMs, ...processed.map((p) => p.atMs));
    return {
      topology,
      sidecars: s.lab.sidecars.length,
      published: ids.length,
      hold,
      join,
      kill,
      victim: victim.id,
      victimInFlight: kill.inFlight[victim.id] ?? 0,
      victimSidecarBuffered: topology === 'per-pod' ? (kill.sidecars[victim.sidecar.name]?.buffered ?? 0) : 0,
      newcomersProcessed: s.lab.workers.filter((w) => addedIds.has(w.id)).reduce((n, w) => n + w.processed().length, 0),
      newcomerFirstDoneS: added.map((w) => {
        const done = w.processed().map((p) => p.atMs);
        return done.length === 0 ? null : round((Math.min(...done) - w.readyAtMs) / 1000, 3);
      }),
      drainAfterJoinS: round((lastDoneMs - joinMs) / 1000, 3),
      lost: ids.filter((id) => !times.has(id)).length,
      redelivered: processed.filter((p) => p.attempt > 1).length,
      duplicates: [...times.values()].filter((n) => n > 1).length,
      whileInTransit: inTransitReadings(s.sampler.samples, hold.t),
      unackedAboveBound: boundViolations(s.sampler.samples, s.lab.workers, variant.mode),
      series: s.sampler.samples.flatMap((p) => (p.broker ? [{
        t: round(p.t, 2),
        ready: p.broker.ready,
        unacked: p.broker.unacked,
        inTransit: Object.values(p.workers).reduce((n, w) => n + (w.inTransit ?? 0), 0),
        buffered: p.queued,
      }] : [])),
    };
  });
}

function inTransitReadings(samples: readonly Sample[], fromT: number): TopologyPart['whileInTransit'] {
  let count = 0;
  let maxReady = 0;
  let maxUnacked = 0;
  let maxInTransit = 0;
  for (const p of samples) {
    if (p.t < fromT || !p.broker) continue;
    const inTransit = Object.values(p.workers).reduce((n, w) => n + (w.inTransit ?? 0), 0);
    if (inTransit === 0) continue;
    count++;
    maxReady = Math.max(maxReady, p.broker.ready);
    maxUnacked = Math.max(maxUnacked, p.broker.unacked);
    maxInTransit = Math.max(maxInTransit, inTransit);
  }
  return { samples: count, maxReady, maxUnacked, maxInTransit };
}

/** Readings of the broker's unacked above what the sidecars could hold then: the largest bound of the last BROKER_LAG_S. */
function boundViolations(samples: readonly Sample[], workers: readonly WorkerHandle[], mode: ModeId): number | null {
  const perWorker = workerBound(mode);
  if (perWorker === null) return null;
  const bounds = samples.map((p) => {
    // Workers the sample still sees alive: their prefetch, plus what every live sidecar buffers.
    const live = workers.filter((w) => p.workers[w.id]?.inTransit !== null && p.workers[w.id] !== undefined).length;
    return { t: p.t, bound: live * perWorker + p.queued };
  });
  let violations = 0;
  samples.forEach((p, i) => {
    if (!p.broker) return;
    const recent = bounds.slice(0, i + 1).filter((b) => b.t >= p.t - BROKER_LAG_S).map((b) => b.bound);
    if (p.broker.unacked > Math.max(...recent)) violations++;
  });
  return violations;
}

const fmtN = (n: number | null): string => (n === null ? DASH : String(n));

function sidecarCell(m: Moment): string {
  const entries = Object.entries(m.sidecars);
  if (entries.length === 1) {
    const [, sc] = entries[0] ?? ['', { unacked: 0, buffered: 0 }];
    return `${sc.unacked} (${sc.buffered} buffered)`;
  }
  return entries.map(([, sc]) => `${sc.unacked} (${sc.buffered})`).join(', ');
}

const inTransitCell = (m: Moment): string => Object.values(m.inTransit).join(', ') || DASH;

/** One sentence per mode: the answers the section owes, from the numbers. */
function findings(runs: readonly TopologyRun[], label: (v: Variant) => string): string[] {
  const out: string[] = [];
  for (const run of runs) {
    const shared = run.parts.find((p) => p.topology === 'shared');
    const perPod = run.parts.find((p) => p.topology === 'per-pod');
    if (!shared || !perPod) continue;
    const mode = run.variant.mode;
    const unbounded = workerBound(mode) === null;
    const seen = (p: TopologyPart): string => `${fmtN(p.hold.brokerReady)} ready and ${fmtN(p.hold.brokerUnacked)} unacked while ${total(p.hold.inTransit)} were in transit${sidecarTotal(p.hold, 'buffered') > 0 ? ` and ${sidecarTotal(p.hold, 'buffered')} waited in sidecar buffers` : ''}`;
    const where = `**${label(run.variant)}.** When the first workers held what they could, RabbitMQ reported ${seen(shared)} with one shared sidecar, and ${seen(perPod)} with a sidecar per pod.`;
    const hidden = unbounded
      ? ` With STREAM_UPSTREAM_ACK=dispatch the broker counts a message done once it is written to a stream: what waits in the client backlogs is invisible to it (largest reading while messages were in transit: ${shared.whileInTransit.maxReady} ready shared, ${perPod.whileInTransit.maxReady} per-pod).`
      : ` The broker's unacked is each sidecar's buffer plus what its workers hold; per pod, a sidecar's buffer (up to QUEUE_PREFETCH) belongs to its one worker, out of the new pods' reach.`;
    const scale = (p: TopologyPart, what: string): string => {
      const firsts = p.newcomerFirstDoneS.map((t) => (t === null ? 'never' : formatSeconds(t)));
      return `${what}: the new ${p.topology === 'per-pod' ? 'pods' : 'workers'} processed ${p.newcomersProcessed} of the ${p.published} (first message done ${listing(firsts)} after each was up), the last message was done ${formatSeconds(p.drainAfterJoinS)} after the join`;
    };
    const helped = ` Scale-out: ${scale(shared, 'shared')}; ${scale(perPod, 'per-pod')}.`;
    const death = (p: TopologyPart): string => `${p.topology === 'per-pod' ? 'the pod (worker and sidecar)' : 'the worker'} held ${p.victimInFlight} in flight${p.topology === 'per-pod' ? ` and its sidecar ${p.victimSidecarBuffered} more in its buffer` : ''}; ${p.lost} were lost, ${p.redelivered} redelivered, ${p.duplicates} processed twice`;
    out.push(`${where}${hidden}${helped} Death of the first pod: shared, ${death(shared)}; per-pod, ${death(perPod)}.`);
  }
  return out;
}

export const topology: Scenario<'topology', TopologyRun, TopologyParams> = {
  id: 'topology',
  title: 'Topology: a shared sidecar or one per pod, on RabbitMQ',
  modes: 'asked',
  queues: ['rabbitmq'],
  profile: {
    default: { messages: 300, pods: 2, newPods: 2, slowDelayMs: 250, queuePrefetch: 100 },
    quick: { messages: 120, pods: 2, newPods: 2, slowDelayMs: 150, queuePrefetch: 40 },
  },

  async run(ctx, variant) {
    const parts: TopologyPart[] = [];
    for (const name of TOPOLOGIES) parts.push(await runPart(ctx, variant, name));
    return { scenario: 'topology', variant, parts };
  },

  note: (run) => run.parts.map((p) => `${p.topology}: broker ${fmtN(p.hold.brokerReady)} ready / ${fmtN(p.hold.brokerUnacked)} unacked, ${total(p.hold.inTransit)} in transit; pod death lost ${p.lost}`).join('; '),

  section({ runs, params, label }) {
    if (runs.length === 0) return [];
    const out = [`## ${topology.title}`, ''];
    out.push(`RabbitMQ behind the sidecars, a queue of its own per run, QUEUE_PREFETCH ${params.queuePrefetch} on every sidecar; stream mode acks upstream on dispatch (the default). ${params.messages} messages are published at once; ${params.pods} workers at ${params.slowDelayMs} ms per message take what they can; then ${params.newPods} more join at the profile's delay (scale-out), and the first pod dies (SIGKILL of its worker, and per-pod of its sidecar too). **Shared**: one sidecar for every worker. **Per-pod**: a sidecar per worker, as a Kubernetes native sidecar container on localhost runs it (deploy/k8s/components/sidecar-per-pod). While the new pods start, the first workers are stopped (SIGSTOP; not in \`poll\`, whose lease a stopped worker could not extend), so the join finds the backlog the hold left whatever the machine's start-up time; "the join" is when they continue. The broker's counts come from its management API, read beside the sidecars' Stats and the workers' metrics at the same moment; they lag the queue's real state (by seconds for a queue declared a moment ago), so the "hold" reading is taken once the broker's unacked equals what the sidecars hold unacked upstream (at most ${BROKER_FRESH_TIMEOUT_MS / 1000} s after the lab's own count settled), and a reading counts as above the bound only if it exceeds every bound of the ${BROKER_LAG_S} s before it.`, '');
    out.push('### Where the hidden backlog sits', '');
    out.push('| variant | topology | broker ready / unacked | per sidecar: unacked upstream (of which buffered) | in transit per worker | broker readings while in transit: max ready / max unacked (max in transit) | unacked above what the sidecars could hold |', '|---|---|---|---|---|---|---|');
    for (const r of runs) {
      for (const p of r.parts) {
        const w = p.whileInTransit;
        out.push(`| ${label(r.variant)} | ${p.topology} | ${fmtN(p.hold.brokerReady)} / ${fmtN(p.hold.brokerUnacked)} | ${sidecarCell(p.hold)} | ${inTransitCell(p.hold)} | ${w.samples === 0 ? DASH : `${w.maxReady} / ${w.maxUnacked} (${w.maxInTransit})`} | ${p.unackedAboveBound === null ? 'n/a (stream)' : `${p.unackedAboveBound} readings`} |`);
      }
    }
    out.push('');
    out.push('### Scale-out and pod death', '');
    out.push('| variant | topology | at the join: broker ready / unacked, sidecars (buffered), in transit | new pods processed (of the backlog) | first message done after it was up | last message done after the join | pod death: in flight / its sidecar\'s buffer | lost | redelivered | processed twice |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const r of runs) {
      for (const p of r.parts) {
        const j = p.join;
        out.push(`| ${label(r.variant)} | ${p.topology} | ${fmtN(j.brokerReady)} / ${fmtN(j.brokerUnacked)}, ${sidecarCell(j)}, ${inTransitCell(j)} | ${p.newcomersProcessed} of ${p.published} | ${p.newcomerFirstDoneS.map((t) => (t === null ? 'never' : formatSeconds(t))).join(', ')} | ${formatSeconds(p.drainAfterJoinS)} | ${p.victimInFlight} / ${p.topology === 'per-pod' ? p.victimSidecarBuffered : DASH} | ${p.lost} | ${p.redelivered} | ${p.duplicates} |`);
      }
    }
    out.push('');
    const lines = findings(runs, label);
    if (lines.length > 0) out.push('### What this shows', '', ...lines.map((l) => `- ${l}`), '');
    return out;
  },

  charts: (runs, shown) => (runs.length > 0 ? [topologyChart(runs, shown)] : []),
};

/** The broker's ready and unacked against the messages in transit, over time, per variant and topology. */
function topologyChart(runs: readonly TopologyRun[], shown: Shown): Chart {
  const rows: string[] = [];
  const values = runs.flatMap((r) => r.parts.flatMap((p) => {
    const row = `${variantLabel(r.variant, shown)} · ${p.topology}`;
    rows.push(row);
    return p.series.flatMap((x) => [
      { row, t: x.t, what: 'broker ready', n: x.ready },
      { row, t: x.t, what: 'broker unacked', n: x.unacked },
      { row, t: x.t, what: 'in transit (all workers)', n: x.inTransit },
      { row, t: x.t, what: 'in sidecar buffers', n: x.buffered },
    ]);
  }));
  const title = 'What RabbitMQ reports against where the messages are: shared sidecar and per-pod';
  return {
    name: 'topology',
    title,
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      title: { text: title, subtitle: 'broker: its management API; in transit: dispatched (Stats) - started (worker metrics); read together every 100 ms; a line at 0 may hide under another' },
      data: { values },
      facet: { row: { field: 'row', type: 'nominal', title: null, sort: rows } },
      spec: {
        width: 620,
        height: 110,
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds since the part started' },
          y: { field: 'n', type: 'quantitative', title: 'messages' },
          color: { field: 'what', type: 'nominal', title: null, scale: { domain: ['broker ready', 'broker unacked', 'in transit (all workers)', 'in sidecar buffers'], range: ['#1f77b4', '#ff7f0e', '#d62728', '#7f7f7f'] }, legend: { orient: 'top', labelLimit: 300 } },
        },
      },
      config: CONFIG,
    },
  };
}
