/**
 * autoscale (a scaled-down replay of googleapis/java-pubsub#2715): a burst,
 * then a steady load above what the starting replicas can do, while a
 * controller that follows the Kubernetes HPA algorithm adds real workers and
 * removes them (a graceful stop of the newest). One session per metric the
 * profile names, each with a fresh sidecar and fresh workers:
 *
 * - `queue-depth`: messages waiting in the sidecar's queue, what KEDA's
 *   RabbitMQ (AMQP) and Pub/Sub scalers see of a broker;
 * - `outstanding`: queued + in flight (dispatched to a worker, not yet
 *   settled), the lab's own autoscalers' metric;
 * - `oldest-age`: the publish age of the oldest message, queued or in flight.
 *
 * The controller reads them from the sidecar's Stats RPC at each sync, not
 * from Prometheus (Stats carries the oldest queued and in-flight messages'
 * publish times); each sync records the sidecar's own
 * `sidecar_queue_oldest_message_age_seconds` beside it as a check.
 *
 * What it shows: in `stream` mode the workers' gRPC buffers take the burst,
 * so the queue stays near empty and a queue-depth autoscaler never asks for
 * a replica; on a metric that does see the backlog, the new replicas get only
 * new messages, none of what is already in transit. With credits or polling
 * the queue holds the backlog, every metric scales, and the new replicas
 * share it at once.
 */
import { scrape, sum } from '@backlog-lab/harness/prometheus-text';
import { asError } from '@backlog-lab/common/errors';
import type { StatsResponse__Output } from '@backlog-lab/common/contract';
import { arrival, type Arrival } from '../lib/arrival.ts';
import { distribution, round, type Distribution } from '../lib/distribution.ts';
import { scrapeWorker, sleep, type WorkerHandle } from '../lib/lab.ts';
import { CONFIG, labelOrder, VEGA_LITE_SCHEMA, type Chart } from '../report/chart.ts';
import { DASH, formatSeconds, listing } from '../report/format.ts';
import type { ScenarioRun } from '../results.ts';
import type { Entry } from '../summary/comparison.ts';
import type { Figure } from '../summary/figure.ts';
import { variantKey, variantLabel, type Shown, type Variant } from '../variants/variant.ts';
import { finish, startPublisher, waitConnected, waitForAllDone, withSession, type ScenarioSession } from './context.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';

// --- The controller: the HPA's algorithm, as kube-controller-manager runs it ---

export const AUTOSCALE_METRICS = ['queue-depth', 'outstanding', 'oldest-age'] as const;
export type AutoscaleMetric = (typeof AUTOSCALE_METRICS)[number];

/**
 * How the HPA turns a metric into replicas. `AverageValue` (an External
 * metric with a per-replica target, as KEDA's queue scalers set it): the
 * total over the replicas that exist. `Value` (the lab's age trigger): the
 * value itself, times the replicas that are ready.
 */
export type TargetType = 'AverageValue' | 'Value';

interface MetricSpec {
  readonly label: string;
  readonly targetType: TargetType;
  readonly unit: 'messages' | 'seconds';
  /** The metric's total (AverageValue) or value (Value) in a Stats reading. */
  read(r: Reading): number;
}

export const METRICS: Readonly<Record<AutoscaleMetric, MetricSpec>> = {
  'queue-depth': { label: 'queue depth', targetType: 'AverageValue', unit: 'messages', read: (r) => r.queued },
  'outstanding': { label: 'queued + in flight', targetType: 'AverageValue', unit: 'messages', read: (r) => r.queued + r.inFlight },
  'oldest-age': { label: 'oldest message age', targetType: 'Value', unit: 'seconds', read: (r) => r.oldestAgeS },
};

export interface ScalingPolicy {
  readonly type: 'pods' | 'percent';
  readonly value: number;
  readonly periodS: number;
}

/** One direction of the HPA's `behavior`; selectPolicy is always Max (the default): the policy that allows the biggest change wins. */
export interface ScalingRules {
  readonly stabilizationS: number;
  readonly policies: readonly ScalingPolicy[];
}

export interface HpaParams {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly syncPeriodS: number;
  /** No change while |metric / target - 1| <= tolerance (kube-controller-manager's default 0.1). */
  readonly tolerance: number;
  readonly scaleUp: ScalingRules;
  readonly scaleDown: ScalingRules;
}

/**
 * What one metric recommends (the HPA's replica calculator), before
 * stabilisation and limits: for AverageValue, with `current` replicas
 * existing, ceil(total / target), i.e. ceil(current × average / target);
 * for Value, ceil(ready × value / target). Inside the tolerance: `current`.
 */
export function recommendReplicas(targetType: TargetType, metric: number, target: number, current: number, ready: number, tolerance: number): number {
  const ratio = targetType === 'AverageValue' ? metric / (target * current) : metric / target;
  if (Math.abs(ratio - 1) <= tolerance) return current;
  return targetType === 'AverageValue' ? Math.ceil(metric / target) : Math.ceil(ratio * ready);
}

/** Why the replicas the controller asked for differ from what the metric recommended. */
export type Limit = 'stabilization' | 'scale-up rate' | 'scale-down rate' | 'max replicas' | 'min replicas';

export interface Decision {
  readonly recommended: number;
  /** After the stabilisation window. */
  readonly stabilized: number;
  readonly desired: number;
  readonly limitedBy: Limit | null;
}

export interface Hpa {
  /** One sync: what to scale to, given the replicas now and what the metric recommends. */
  decide(current: number, recommended: number, atS: number): Decision;
}

interface Timed {
  readonly atS: number;
  readonly n: number;
}

/**
 * The HPA's normalisation (pkg/controller/podautoscaler/horizontal.go,
 * normalizeDesiredReplicasWithBehaviors): stabilisation over the past
 * recommendations (the lowest of the scale-up window, the highest of the
 * scale-down window; the first sync records the current replicas as a
 * recommendation, so nothing scales down before a whole window has passed),
 * then the rate limits of the policies against the scale events of their
 * period, then min and max replicas.
 */
export function createHpa(params: HpaParams, startReplicas: number, startS: number): Hpa {
  const recommendations: Timed[] = [{ atS: startS, n: startReplicas }];
  const ups: Timed[] = [];
  const downs: Timed[] = [];
  const changedWithin = (events: readonly Timed[], periodS: number, atS: number): number => events.filter((e) => e.atS > atS - periodS).reduce((n, e) => n + e.n, 0);
  return {
    decide(current, recommended, atS) {
      const up = recommended >= current;
      const windowS = up ? params.scaleUp.stabilizationS : params.scaleDown.stabilizationS;
      let stabilized = recommended;
      for (const r of recommendations) {
        if (r.atS > atS - windowS) stabilized = up ? Math.min(stabilized, r.n) : Math.max(stabilized, r.n);
      }
      recommendations.push({ atS, n: recommended });
      const keepS = Math.max(params.scaleUp.stabilizationS, params.scaleDown.stabilizationS);
      while (recommendations.length > 1 && (recommendations[0]?.atS ?? atS) < atS - keepS) recommendations.shift();

      let desired = stabilized;
      let limitedBy: Limit | null = stabilized === recommended ? null : 'stabilization';
      if (stabilized > current) {
        const proposals = params.scaleUp.policies.map((p) => {
          const periodStart = current - changedWithin(ups, p.periodS, atS);
          return p.type === 'pods' ? periodStart + p.value : Math.ceil(periodStart * (1 + p.value / 100));
        });
        const rateLimit = Math.max(current, ...proposals);
        const allowed = Math.min(params.maxReplicas, rateLimit);
        if (desired > allowed) {
          desired = allowed;
          limitedBy = rateLimit < params.maxReplicas ? 'scale-up rate' : 'max replicas';
        }
      } else if (stabilized < current) {
        const proposals = params.scaleDown.policies.map((p) => {
          const periodStart = current + changedWithin(downs, p.periodS, atS);
          return p.type === 'pods' ? periodStart - p.value : Math.trunc(periodStart * (1 - p.value / 100));
        });
        const rateLimit = Math.min(current, ...proposals);
        const allowed = Math.max(params.minReplicas, rateLimit);
        if (desired < allowed) {
          desired = allowed;
          limitedBy = rateLimit > params.minReplicas ? 'scale-down rate' : 'min replicas';
        }
      }
      if (desired > current) ups.push({ atS, n: desired - current });
      if (desired < current) downs.push({ atS, n: current - desired });
      return { recommended, stabilized, desired, limitedBy };
    },
  };
}

// --- The scenario ---

export interface AutoscaleParams {
  /** One session per metric, in this order; the first is the one the first table shows. */
  readonly metrics: readonly AutoscaleMetric[];
  /** AverageValue target of queue-depth and outstanding: messages per replica. */
  readonly targetMessages: number;
  /** Value target of oldest-age. */
  readonly targetAgeS: number;
  readonly hpa: HpaParams;
  readonly startReplicas: number;
  /** Messages published at once when the load begins. */
  readonly burst: number;
  /** Then a steady rate of this many times one replica's capacity (1000 / processingDelayMs per second)... */
  readonly loadFactor: number;
  /** ...for this long. */
  readonly loadS: number;
}

/** What the controller read from Stats at one sync, and what it did. Times are seconds since the burst. */
export interface Sync {
  readonly t: number;
  /** Replicas that existed (asked for and not being stopped) and, of those, ready ones, before this sync's decision. */
  readonly replicas: number;
  readonly ready: number;
  readonly queued: number;
  /** Dispatched to a worker and not yet settled, summed over the workers (Stats in_flight). */
  readonly inFlight: number;
  /** The oldest message's publish age, queued or in flight. */
  readonly oldestAgeS: number;
  /** The oldest queued message's age from Stats, and the sidecar's own gauge of it, scraped at the same sync (a check). */
  readonly queueAgeS: number;
  readonly sidecarQueueAgeS: number | null;
  /** The controller's metric as the HPA shows it: the per-replica average (AverageValue) or the value. */
  readonly value: number;
  readonly recommended: number;
  readonly desired: number;
  readonly limitedBy: Limit | null;
  /** What each metric would have recommended from the same reading (tolerance, min and max applied; no stabilisation). */
  readonly wouldAsk: Readonly<Record<AutoscaleMetric, number>>;
}

export interface ReplicaInfo {
  readonly id: string;
  readonly role: 'start' | 'added';
  /** Since the burst: when the controller asked for it, when it announced itself ready, when it was asked to stop (null: it ran to the end). */
  readonly requestedS: number;
  readonly readyS: number | null;
  readonly stopS: number | null;
  readonly processed: number;
  /** worker_processing_seconds_sum, read just before it was stopped. */
  readonly busyS: number;
  /** From ready to its stop or the last message's finish, whichever came first. */
  readonly availableS: number;
}

export interface MetricRun extends Omit<ScenarioRun, 'series' | 'messages'> {
  readonly metric: AutoscaleMetric;
  readonly targetType: TargetType;
  readonly target: number;
  readonly ratePerS: number;
  readonly published: number;
  /** Seconds since the scenario run's start (t0) at which the burst was published; every time below is since then. */
  readonly loadStartS: number;
  readonly loadStopS: number;
  /** When the last message finished (its `message processed` line). */
  readonly lastFinishS: number;
  /** loadStopS → lastFinishS. */
  readonly drainS: number;
  readonly syncs: readonly Sync[];
  readonly replicas: readonly ReplicaInfo[];
  readonly startReplicas: number;
  readonly peakReplicas: number;
  readonly finalReplicas: number;
  /** Added replicas: from the controller's asking to their ready announcement (null: none was added). */
  readonly addedStartS: Distribution | null;
  /** The first added replica's arrival: what was in transit to the others then, and what the added ones took (null: none was added). */
  readonly arrival: Arrival | null;
  /** Stats totals at the end. */
  readonly lost: number;
  readonly requeued: number;
  readonly processedIds: number;
  /** Most messages waiting in the queue, and in flight, at any sync. */
  readonly peakQueued: number;
  readonly peakInFlight: number;
  /** Largest |computed − sidecar gauge| of the queue age over the syncs where the computation was exact and both saw a queue. */
  readonly queueAgeCheckMaxDiffS: number | null;
}

export interface AutoscaleRun {
  readonly variant: Variant;
  readonly byMetric: readonly MetricRun[];
}

export interface AutoscaleSummary {
  readonly metric: AutoscaleMetric;
  readonly startReplicas: number;
  readonly peakReplicas: number;
  readonly drainS: number;
  readonly lost: number;
}

const AUTOSCALE: Figure = {
  id: 'autoscale',
  header: '6. autoscaled: replicas start → peak, load end → last message done',
  legend: 'An HPA-style controller on a burst and then a steady load above what the starting replicas can do: how many replicas it went to, and how long after the load stopped the last message finished.',
};

/** busy / available, or null when it was never available. */
export function busyShare(replicas: readonly ReplicaInfo[]): number | null {
  const available = replicas.reduce((n, r) => n + r.availableS, 0);
  return available > 0 ? replicas.reduce((n, r) => n + r.busyS, 0) / available : null;
}

/** Syncs at which this run's metric asked for no more replicas than there were while queued + in flight would have: the backlog it did not see. */
export function blindSyncs(run: MetricRun): Sync[] {
  return run.syncs.filter((s) => s.recommended <= s.replicas && s.wouldAsk.outstanding > s.replicas);
}

const percent = (x: number | null): string => (x === null ? DASH : `${Math.round(x * 100)} %`);
const metricLabel = (m: AutoscaleMetric): string => METRICS[m].label;
// Targets are parameters: shown as given (1.25 s, not a rounded 1.3 s).
const targetText = (r: MetricRun): string => (r.targetType === 'AverageValue' ? `${r.target} per replica` : `${r.target} s`);
const valueText = (r: MetricRun, v: number): string => (METRICS[r.metric].unit === 'seconds' ? formatSeconds(v) : `${round(v, 1)}`);

export const autoscale: Scenario<'autoscale', AutoscaleRun, AutoscaleParams, AutoscaleSummary | null> = {
  id: 'autoscale',
  title: 'Autoscaling a burst and an overload',
  modes: 'asked',
  // Kubernetes' defaults (15 s sync, scale-up by max(4 pods, 100 %) per
  // 15 s, 300 s scale-down window, 100 % down per 15 s, tolerance 0.1) with
  // every period divided by 5 (default) or 15 (quick). Targets: 50 messages
  // per replica (the lab's ScaledObject), and the age in which one replica
  // works off 50 messages.
  profile: {
    default: {
      metrics: ['queue-depth', 'outstanding', 'oldest-age'],
      targetMessages: 50,
      targetAgeS: 5,
      hpa: {
        minReplicas: 2,
        maxReplicas: 20,
        syncPeriodS: 3,
        tolerance: 0.1,
        scaleUp: { stabilizationS: 0, policies: [{ type: 'pods', value: 4, periodS: 3 }, { type: 'percent', value: 100, periodS: 3 }] },
        scaleDown: { stabilizationS: 60, policies: [{ type: 'percent', value: 100, periodS: 3 }] },
      },
      startReplicas: 2,
      burst: 400,
      loadFactor: 4,
      loadS: 15,
    },
    quick: {
      metrics: ['queue-depth'],
      targetMessages: 50,
      targetAgeS: 1.25,
      hpa: {
        minReplicas: 2,
        maxReplicas: 10,
        syncPeriodS: 1,
        tolerance: 0.1,
        scaleUp: { stabilizationS: 0, policies: [{ type: 'pods', value: 4, periodS: 1 }, { type: 'percent', value: 100, periodS: 1 }] },
        scaleDown: { stabilizationS: 20, policies: [{ type: 'percent', value: 100, periodS: 1 }] },
      },
      startReplicas: 2,
      burst: 300,
      loadFactor: 4,
      loadS: 6,
    },
  },

  async run(ctx, variant) {
    const byMetric: MetricRun[] = [];
    for (const metric of ctx.params.metrics) {
      byMetric.push(await runOnMetric(ctx, variant, metric));
      // Each session's spans were read when it ended.
      ctx.receiver.spans.length = 0;
    }
    return { variant, byMetric };
  },

  note: (run) => run.byMetric.map((r) => `${metricLabel(r.metric)}: ${r.startReplicas} → ${r.peakReplicas} replicas, last message ${formatSeconds(r.drainS)} after the load${r.lost > 0 ? `, ${r.lost} lost` : ''}`).join('; '),

  summary: {
    of: (run) => {
      const r = run.byMetric[0];
      return r ? { metric: r.metric, startReplicas: r.startReplicas, peakReplicas: r.peakReplicas, drainS: r.drainS, lost: r.lost } : null;
    },
    figures: [{
      figure: AUTOSCALE,
      cell: (s) => (s ? `${s.startReplicas} → **${s.peakReplicas}**, ${formatSeconds(s.drainS)}${s.lost > 0 ? ` (${s.lost} lost)` : ''}` : DASH),
      setup: (p, profile) => `autoscale on ${metricLabel(p.metrics[0] ?? 'queue-depth')}: a burst of ${p.burst}, then ${p.loadFactor * (1000 / profile.processingDelayMs)} msg/s (${p.loadFactor} replicas' worth) for ${p.loadS} s; ${p.startReplicas} to ${p.hpa.maxReplicas} replicas`,
    }],
  },

  conclude(c) {
    const out: string[] = [];
    const { unbounded, bounded } = c;
    const stream = unbounded?.run.byMetric ?? [];
    const depth = stream.find((r) => r.metric === 'queue-depth');
    if (unbounded && depth) out.push(streamDepthSentence(unbounded.variant.mode, depth));
    const scaled = stream.filter((r) => r.arrival !== null);
    if (unbounded && scaled.length > 0) out.push(streamNewReplicasSentence(unbounded.variant.mode, scaled, depth));
    const compared = boundedSentence(bounded, depth);
    if (compared) out.push(compared);
    return out;
  },

  evidence({ unbounded, bounded }) {
    const depth = unbounded?.run.byMetric.find((r) => r.metric === 'queue-depth');
    const blind = depth && depth.peakReplicas === depth.startReplicas && blindSyncs(depth).length > 0;
    const took = unbounded?.run.byMetric.filter((r) => r.arrival && r.arrival.inTransit > 0) ?? [];
    const drained = bounded.filter((e) => e.run.byMetric.some((r) => r.metric === 'queue-depth' && r.peakReplicas > r.startReplicas && r.lost === 0 && r.processedIds === r.published)).map((e) => e.variant.mode);
    const against = blind
      ? 'an autoscaler on queue depth never saw them'
      : took.length > 0 && took.every((r) => r.arrival?.newWorkersGot === 0) ? 'replicas an autoscaler added took none of them' : undefined;
    return {
      ...(against ? { against } : {}),
      ...(drained.length > 0 ? { kept: { clause: 'scaled out on queue depth and drained', modes: drained } } : {}),
    };
  },

  section({ runs, params, profile, label, chart }) {
    if (runs.length === 0) return [];
    const out = [`## ${autoscale.title}`, ''];
    const rate = params.loadFactor * (1000 / profile.processingDelayMs);
    const h = params.hpa;
    const up = h.scaleUp.policies.map(policyText).join(' or ');
    const down = h.scaleDown.policies.map(policyText).join(' or ');
    out.push(`A scaled-down replay of [googleapis/java-pubsub#2715](https://github.com/googleapis/java-pubsub/issues/2715): ${params.startReplicas} replicas, a burst of ${params.burst} messages, then ${rate} msg/s (${params.loadFactor} replicas' worth) for ${params.loadS} s, with a controller that follows the Kubernetes HPA algorithm and starts or stops real workers. Every ${h.syncPeriodS} s it reads the sidecar's Stats (not Prometheus) and computes desired = ceil(current × metric / target): for queue depth and queued + in flight the metric is the per-replica average (an \`AverageValue\` target of ${params.targetMessages} messages), for the oldest message's age the value itself (a \`Value\` target of ${params.targetAgeS} s, times the ready replicas). No change while |metric / target − 1| ≤ ${h.tolerance}; scale-up at most ${up} (the HPA's default policy, periods scaled down), no stabilisation; scale-down to the highest recommendation of the last ${h.scaleDown.stabilizationS} s, at most ${down}, stopping the newest replica gracefully; between ${h.minReplicas} and ${h.maxReplicas} replicas. Times are seconds since the burst.`, '');
    for (const metric of params.metrics) out.push(...chart(`autoscale-${metric}`));
    out.push('| variant | metric (target) | replicas: start → peak → end | metric at its peak | queued / in flight at most | added replicas: asked → ready | in transit when the first added replica came up → taken by added ones | unstarted then → taken by them | last message done after the load | lost (scale-down) | busy share: start replicas / added (never got work) |', '|---|---|---|---|---|---|---|---|---|---|---|');
    for (const run of runs) {
      for (const r of run.byMetric) {
        const peak = Math.max(0, ...r.syncs.map((s) => s.value));
        const a = r.arrival;
        const added = r.replicas.filter((x) => x.role === 'added');
        const idle = added.filter((x) => x.processed === 0).length;
        out.push(`| ${label(r.variant)} | ${metricLabel(r.metric)} (${targetText(r)}) | ${r.startReplicas} → ${r.peakReplicas} → ${r.finalReplicas} | ${valueText(r, peak)} | ${r.peakQueued} / ${r.peakInFlight} | ${startupText(r)} | ${a ? `${a.inTransit} → ${a.newWorkersGot}` : DASH} | ${a ? `${a.unstarted} → ${a.newWorkersGotOfUnstarted}` : DASH} | ${formatSeconds(r.drainS)} | ${r.lost} | ${percent(busyShare(r.replicas.filter((x) => x.role === 'start')))} / ${added.length > 0 ? `${percent(busyShare(added))} (${idle})` : DASH} |`);
      }
    }
    out.push('');
    out.push(`Busy share: \`worker_processing_seconds_sum\` of the replicas, read just before each was stopped, over the time each was ready until it was stopped or the last message finished. "In transit" counts deliveries dispatched to the replicas already running and not started by them (their backlog spans), "unstarted" those plus what was queued. The oldest queued message's age comes from Stats (\`oldest_queued_published_at_unix_nano\`); where both saw a queue it agreed with the sidecar's own \`sidecar_queue_oldest_message_age_seconds\`, scraped at the same sync, within ${formatSeconds(Math.max(0, ...runs.flatMap((run) => run.byMetric.map((r) => r.queueAgeCheckMaxDiffS ?? 0))))}.`, '');
    return out;
  },

  charts: (runs, shown) => {
    const metrics = [...new Set(runs.flatMap((run) => run.byMetric.map((r) => r.metric)))];
    return metrics.map((m) => autoscaleChart(m, runs.flatMap((run) => run.byMetric.filter((r) => r.metric === m)), shown));
  },
};

function startupText(r: MetricRun): string {
  const d = r.addedStartS;
  return d ? (d.min === d.max ? formatSeconds(d.min) : `${formatSeconds(d.min)}–${formatSeconds(d.max)}`) : DASH;
}

function policyText(p: ScalingPolicy): string {
  return p.type === 'pods' ? `${p.value} pods per ${p.periodS} s` : `${p.value} % per ${p.periodS} s`;
}

function streamDepthSentence(mode: string, r: MetricRun): string {
  const blind = blindSyncs(r);
  const wouldAsk = Math.max(r.startReplicas, ...r.syncs.map((s) => s.wouldAsk.outstanding));
  const peakValue = Math.max(0, ...r.syncs.map((s) => s.value));
  const hidden = Math.max(0, ...blind.map((s) => s.inFlight));
  const lead = '**Autoscaling on queue depth.** What KEDA\'s RabbitMQ and Pub/Sub scalers see';
  const unseen = blind.length > 0
    ? ` while up to ${hidden} messages were in flight to the workers, sent and not yet done; queued + in flight would have asked for ${wouldAsk} replicas at those syncs`
    : '';
  if (r.peakReplicas === r.startReplicas) {
    return `${lead} never asked for a replica in \`${mode}\` mode: it peaked at ${valueText(r, peakValue)} per replica (target ${r.target})${unseen}. With ${r.startReplicas} replicas the last message finished ${formatSeconds(r.drainS)} after the load stopped.`;
  }
  const firstUp = r.syncs.find((s) => s.desired > s.replicas);
  return `${lead} asked for replicas in \`${mode}\` mode only ${firstUp ? `${formatSeconds(firstUp.t)} after the burst, ` : ''}once the workers' buffers were full${blind.length > 0 ? `: before that, at ${blind.length} syncs, it stayed under its target${unseen}` : ''}. It went to ${r.peakReplicas} replicas; the last message finished ${formatSeconds(r.drainS)} after the load stopped.`;
}

function streamNewReplicasSentence(mode: string, scaled: readonly MetricRun[], depth: MetricRun | undefined): string {
  const parts = scaled.map((r) => {
    const a = r.arrival;
    const added = r.replicas.filter((x) => x.role === 'added');
    const idle = added.filter((x) => x.processed === 0).length;
    const unstarted = a && a.unstarted > a.inTransit ? ` (and ${a.newWorkersGotOfUnstarted} of the ${a.unstarted} then unstarted)` : '';
    const versus = depth && depth !== r ? `, against ${formatSeconds(depth.drainS)} ${depth.peakReplicas === depth.startReplicas ? `when queue depth kept it at ${depth.startReplicas}` : 'on queue depth'}` : '';
    return `On ${metricLabel(r.metric)} the autoscaler went from ${r.startReplicas} to ${r.peakReplicas} replicas; the added ones took ${a?.newWorkersGot ?? 0} of the ${a?.inTransit ?? 0} messages in transit when the first came up${unstarted} and were busy ${percent(busyShare(added))} of the time they were up (${idle > 0 ? `${idle} never got a message; ` : ''}the start replicas ${percent(busyShare(r.replicas.filter((x) => x.role === 'start')))}); the last message finished ${formatSeconds(r.drainS)} after the load stopped${versus}${r.lost > 0 ? `, and scaling down lost ${r.lost}` : ''}.`;
  });
  return `**New replicas in \`${mode}\` mode.** ${parts.join(' ')} A metric that sees the backlog makes the autoscaler add replicas, but what is already in a worker's buffers stays there.`;
}

function boundedSentence(bounded: readonly Entry<AutoscaleRun, AutoscaleSummary | null>[], streamDepth: MetricRun | undefined): string | undefined {
  const runs = bounded.flatMap((e) => {
    const r = e.run.byMetric.find((x) => x.metric === 'queue-depth') ?? e.run.byMetric[0];
    return r ? [{ mode: e.variant.mode, r }] : [];
  });
  const first = runs[0]?.r;
  if (!first) return undefined;
  const metric = first.metric;
  const rose = runs.filter(({ r }) => r.peakReplicas > r.startReplicas);
  const flat = runs.filter(({ r }) => r.peakReplicas === r.startReplicas).map(({ mode }) => mode);
  const replicas = listing(rose.map(({ mode, r }) => `${mode} ${r.startReplicas} → ${r.peakReplicas}`));
  const startups = rose.flatMap(({ r }) => (r.addedStartS ? [r.addedStartS.min, r.addedStartS.max] : []));
  const took = listing(rose.map(({ mode, r }, i) => {
    const a = r.arrival;
    const share = percent(busyShare(r.replicas.filter((x) => x.role === 'added')));
    return a ? `${a.newWorkersGotOfUnstarted} of ${a.unstarted} (${mode}, ${i === 0 ? `busy ${share} of the time they were up` : share})` : `none (${mode}: no added replica came up)`;
  }));
  const drains = listing(runs.map(({ mode, r }) => `${formatSeconds(r.drainS)} (${mode})`));
  const startBusy = listing(runs.map(({ mode, r }) => `${mode} ${percent(busyShare(r.replicas.filter((x) => x.role === 'start')))}`));
  const lost = runs.filter(({ r }) => r.lost > 0).map(({ mode, r }) => `${mode} ${r.lost}`);
  const versus = streamDepth && streamDepth.metric === metric ? `, against ${formatSeconds(streamDepth.drainS)} for \`stream\` on ${streamDepth.peakReplicas} replicas` : '';
  const lead = rose.length > 0 ? `saw the backlog and asked for replicas: ${replicas}${flat.length > 0 ? `; in ${listing(flat)} it never asked for one` : ''}` : `never asked for a replica (${listing(flat)})`;
  const out = [`**Autoscaling with credits or polling.** ${capitalize(metricLabel(metric))} ${lead}.`];
  if (rose.length > 0) {
    const upAfter = startups.length > 0 ? ` came up ${formatSeconds(Math.min(...startups))} to ${formatSeconds(Math.max(...startups))} after the controller asked for them, then` : '';
    out.push(`The added replicas${upAfter} took, of the messages not yet started when the first came up, ${took}.`);
  }
  out.push(`The last message finished ${drains} after the load stopped${versus}; the start replicas were busy ${startBusy} of the time. ${lost.length > 0 ? `Lost: ${lost.join(', ')}.` : 'Nothing was lost.'}`);
  return out.join(' ');
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// --- One session: load, controller, replicas ---

interface Replica {
  readonly id: string;
  readonly role: 'start' | 'added';
  /** Seconds since t0 (the session's clock), like every time until the result is built. */
  readonly requestedAtS: number;
  readonly started: Promise<WorkerHandle | undefined>;
  handle: WorkerHandle | undefined;
  stopAtS: number | null;
  busyS: number | null;
  stopped: Promise<void> | undefined;
}

/** The Deployment the controller scales: real workers, started and stopped through the lab. */
interface ReplicaSet {
  readonly all: readonly Replica[];
  /** Replicas that exist: asked for and not being stopped. */
  current(): number;
  ready(): number;
  /** Starts replicas of this role up to n, or stops the newest down to n; returns at once. */
  scaleTo(n: number, role?: Replica['role']): void;
  /** Waits for every start and stop asked for so far; throws the first failure. */
  settle(): Promise<void>;
}

function createReplicaSet(s: ScenarioSession, prefix: string, delayMs: number): ReplicaSet {
  const all: Replica[] = [];
  const failures: Error[] = [];
  const live = (): Replica[] => all.filter((r) => r.stopAtS === null);
  const add = (role: Replica['role']): void => {
    const id = `${prefix}-r${String(all.length + 1).padStart(2, '0')}`;
    const replica: Replica = {
      id,
      role,
      requestedAtS: s.elapsedS(),
      started: s.lab.startWorker(id, role, delayMs).then((h) => {
        replica.handle = h;
        return h;
      }, (error: unknown) => {
        failures.push(asError(error));
        return undefined;
      }),
      handle: undefined,
      stopAtS: null,
      busyS: null,
      stopped: undefined,
    };
    all.push(replica);
  };
  // A ReplicaSet scaled down removes its youngest pods; one still starting is stopped once it is up.
  const retire = (replica: Replica): void => {
    replica.stopAtS = s.elapsedS();
    replica.stopped = (async () => {
      const h = await replica.started;
      if (!h) return;
      replica.busyS = await busySeconds(h);
      await s.lab.stop(h);
    })().catch((error: unknown) => { failures.push(asError(error)); });
  };
  return {
    all,
    current: () => live().length,
    ready: () => live().filter((r) => r.handle !== undefined).length,
    scaleTo(n, role = 'added') {
      const now = live();
      for (let i = now.length; i < n; i++) add(role);
      for (const r of now.slice(n).reverse()) retire(r);
    },
    async settle() {
      await Promise.all(all.map((r) => r.started));
      await Promise.all(all.flatMap((r) => (r.stopped ? [r.stopped] : [])));
      if (failures[0]) throw failures[0];
    },
  };
}

async function busySeconds(worker: WorkerHandle): Promise<number | null> {
  const metrics = await scrapeWorker(worker);
  return metrics ? sum(metrics, 'worker_processing_seconds_sum') : null;
}

interface Reading {
  readonly queued: number;
  readonly inFlight: number;
  readonly oldestAgeS: number;
  readonly queueAgeS: number;
}

/** The three metrics from one Stats snapshot: queue depth, in flight, and the oldest message's age (Stats gives both publish times). */
function readStats(stats: StatsResponse__Output): Reading {
  const atMs = Number(BigInt(stats.atUnixNano) / 1_000_000n);
  const queued = stats.queueDepth.reduce((n, d) => n + Number(d), 0);
  const inFlight = stats.workers.reduce((n, w) => n + Number(w.inFlight), 0);
  const oldestQueuedMs = Number(BigInt(stats.oldestQueuedPublishedAtUnixNano) / 1_000_000n);
  const queueAgeS = queued > 0 && oldestQueuedMs > 0 ? Math.max(0, (atMs - oldestQueuedMs) / 1000) : 0;
  const oldestInFlight = stats.workers.map((w) => Number(BigInt(w.oldestInFlightPublishedAtUnixNano) / 1_000_000n)).filter((ms) => ms > 0);
  const inFlightAgeS = oldestInFlight.length > 0 ? Math.max(0, (atMs - Math.min(...oldestInFlight)) / 1000) : 0;
  return {
    queued,
    inFlight,
    oldestAgeS: Math.max(queueAgeS, inFlightAgeS),
    queueAgeS,
  };
}

async function sidecarQueueAge(s: ScenarioSession): Promise<number | null> {
  try {
    return sum(await scrape(s.lab.sidecar.metricsPort), 'sidecar_queue_oldest_message_age_seconds');
  } catch {
    return null;
  }
}

function runOnMetric(ctx: ScenarioContext<AutoscaleParams>, variant: Variant, metric: AutoscaleMetric): Promise<MetricRun> {
  const p = ctx.params;
  const spec = METRICS[metric];
  const target = spec.targetType === 'AverageValue' ? p.targetMessages : p.targetAgeS;
  const delayMs = ctx.profile.processingDelayMs;
  const ratePerS = p.loadFactor * (1000 / delayMs);
  const prefix = `as-${variant.mode}-${metric}`;
  return withSession(ctx, `autoscale (${spec.label})`, variant, {}, async (s) => {
    const set = createReplicaSet(s, prefix, delayMs);
    ctx.progress.phase(`starting ${p.startReplicas} replicas`);
    set.scaleTo(p.startReplicas, 'start');
    await set.settle();
    await waitConnected(s, set.all.map((r) => r.id));

    ctx.progress.phase(`burst of ${p.burst}, then ${ratePerS} msg/s; autoscaling on ${spec.label}`);
    const loadStartS = s.elapsedS();
    const sinceLoad = (): number => s.elapsedS() - loadStartS;
    const burstIds = await s.publish(p.burst, { priority: 1, payloadBytes: ctx.profile.payloadBytes, idPrefix: `${prefix}-burst` });
    const publisher = startPublisher(s, ratePerS, `${prefix}-load`);
    const controller = startController(s, p, metric, target, set, sinceLoad);
    await sleep(p.loadS * 1000);
    const ids = [...burstIds, ...await publisher.stop()];
    const loadStopS = sinceLoad();
    ctx.progress.phase(`draining ${ids.length} messages`);
    await waitForAllDone(s, ids.length);
    const syncs = await controller.stop();
    await set.settle();
    const busy = new Map<string, number | null>();
    for (const r of set.all) busy.set(r.id, r.busyS ?? (r.handle?.alive ? await busySeconds(r.handle) : null));
    const end = await s.lab.sidecar.admin.stats();
    const { run, records } = await finish(s, 'autoscale');

    // From here on, times are seconds since the burst.
    const sinceBurst = (t0S: number): number => round(t0S - loadStartS, 3);
    const processed = s.lab.workers.flatMap((w) => w.processed());
    const lastFinishS = sinceBurst(Math.max(0, ...processed.map((x) => (x.atMs - s.t0Ms) / 1000)));
    const replicas: ReplicaInfo[] = set.all.map((r) => {
      const info = run.workers.find((w) => w.id === r.id);
      const readyS = info ? sinceBurst(info.readyAtS) : null;
      const stopS = r.stopAtS === null ? null : sinceBurst(r.stopAtS);
      return {
        id: r.id,
        role: r.role,
        requestedS: sinceBurst(r.requestedAtS),
        readyS,
        stopS,
        processed: info?.processed ?? 0,
        busyS: round(busy.get(r.id) ?? 0, 3),
        availableS: readyS === null ? 0 : round(Math.max(0, Math.min(stopS ?? Infinity, lastFinishS) - readyS), 3),
      };
    });
    const startIds = new Set(set.all.filter((r) => r.role === 'start').map((r) => r.id));
    const addedIds = new Set(set.all.filter((r) => r.role === 'added').map((r) => r.id));
    const firstAddedReadyS = Math.min(...run.workers.filter((w) => addedIds.has(w.id)).map((w) => w.readyAtS));
    const publishedBy = ids.filter((id) => ((s.publishedAtMs.get(id) ?? Infinity) - s.t0Ms) / 1000 <= firstAddedReadyS);
    // Stats and the gauge are two reads a moment apart: compare where both saw a queue.
    const checked = syncs.filter((x) => x.queueAgeS > 0 && (x.sidecarQueueAgeS ?? 0) > 0);
    const { series: _series, messages: _messages, ...common } = run;
    return {
      ...common,
      metric,
      targetType: spec.targetType,
      target,
      ratePerS,
      published: ids.length,
      loadStartS: round(loadStartS, 3),
      loadStopS: round(loadStopS, 3),
      lastFinishS,
      drainS: round(Math.max(0, lastFinishS - loadStopS), 3),
      syncs,
      replicas,
      startReplicas: p.startReplicas,
      peakReplicas: Math.max(p.startReplicas, ...syncs.map((x) => x.desired)),
      finalReplicas: syncs.at(-1)?.desired ?? p.startReplicas,
      addedStartS: distribution(replicas.flatMap((r) => (r.role === 'added' && r.readyS !== null ? [round(r.readyS - r.requestedS, 3)] : []))),
      arrival: Number.isFinite(firstAddedReadyS) ? arrival(records, publishedBy, startIds, addedIds, firstAddedReadyS) : null,
      lost: Number(end.totals?.lost ?? 0),
      requeued: Number(end.totals?.requeued ?? 0),
      processedIds: new Set(processed.map((x) => x.messageId)).size,
      peakQueued: Math.max(0, ...syncs.map((x) => x.queued)),
      peakInFlight: Math.max(0, ...syncs.map((x) => x.inFlight)),
      queueAgeCheckMaxDiffS: checked.length > 0 ? round(Math.max(...checked.map((x) => Math.abs(x.queueAgeS - (x.sidecarQueueAgeS ?? 0)))), 3) : null,
    };
  });
}

/** The sync loop: every syncPeriodS, read Stats, decide, scale (without waiting for workers to start or stop). */
function startController(s: ScenarioSession, p: AutoscaleParams, metric: AutoscaleMetric, target: number, set: ReplicaSet, sinceLoad: () => number): { stop(): Promise<Sync[]> } {
  const spec = METRICS[metric];
  const h = p.hpa;
  const hpa = createHpa(h, set.current(), sinceLoad());
  const syncs: Sync[] = [];
  const state = { running: true };
  // A function, so the checks after each await read what stop() set.
  const running = (): boolean => state.running;
  let failure: Error | undefined;
  const clamp = (n: number): number => Math.min(h.maxReplicas, Math.max(h.minReplicas, n));
  const loop = (async () => {
    let nextS = h.syncPeriodS;
    while (running()) {
      while (running() && sinceLoad() < nextS) await sleep(Math.min(50, Math.max(1, (nextS - sinceLoad()) * 1000)));
      if (!running()) break;
      // Like the HPA's loop, a late sync does not make up for the ones it missed.
      while (nextS <= sinceLoad()) nextS += h.syncPeriodS;
      const [stats, gauge] = await Promise.all([s.lab.sidecar.admin.stats(), sidecarQueueAge(s)]);
      const t = sinceLoad();
      const reading = readStats(stats);
      const current = set.current();
      const ready = set.ready();
      const ask = (m: AutoscaleMetric): number => recommendReplicas(METRICS[m].targetType, METRICS[m].read(reading), METRICS[m].targetType === 'AverageValue' ? p.targetMessages : p.targetAgeS, current, ready, h.tolerance);
      const total = spec.read(reading);
      const decision = hpa.decide(current, ask(metric), t);
      if (decision.desired !== current) set.scaleTo(decision.desired);
      syncs.push({
        t: round(t, 3),
        replicas: current,
        ready,
        queued: reading.queued,
        inFlight: reading.inFlight,
        oldestAgeS: round(reading.oldestAgeS, 3),
        queueAgeS: round(reading.queueAgeS, 3),
        sidecarQueueAgeS: gauge === null ? null : round(gauge, 3),
        value: round(spec.targetType === 'AverageValue' ? total / current : total, 3),
        recommended: decision.recommended,
        desired: decision.desired,
        limitedBy: decision.limitedBy,
        wouldAsk: { 'queue-depth': clamp(ask('queue-depth')), 'outstanding': clamp(ask('outstanding')), 'oldest-age': clamp(ask('oldest-age')) },
      });
    }
  })().catch((error: unknown) => {
    failure = asError(error);
  });
  return {
    async stop() {
      state.running = false;
      await loop;
      if (failure) throw new Error(`${variantKey(s.variant)}: the autoscaler failed: ${failure.message}`);
      return syncs;
    },
  };
}

// --- The chart: replicas over time beside the metric and the backlog ---

function autoscaleChart(metric: AutoscaleMetric, runs: readonly MetricRun[], shown: Shown): Chart {
  const spec = METRICS[metric];
  const metricPanel = `${spec.label}${spec.targetType === 'AverageValue' ? ' per replica' : ''} vs target`;
  const panels = ['replicas', metricPanel, 'queued and in flight'];
  const values = runs.flatMap((r) => {
    const variant = variantLabel(r.variant, shown);
    const points = r.syncs.flatMap((x) => [
      { variant, panel: panels[0], t: x.t, series: 'asked for', value: x.desired },
      { variant, panel: panels[0], t: x.t, series: 'ready', value: x.ready },
      { variant, panel: panels[1], t: x.t, series: spec.label, value: x.value },
      { variant, panel: panels[1], t: x.t, series: 'target', value: r.target },
      { variant, panel: panels[2], t: x.t, series: 'queued', value: x.queued },
      { variant, panel: panels[2], t: x.t, series: 'in flight', value: x.inFlight },
    ]);
    const first = r.syncs[0];
    // Where the load began: the starting replicas, nothing queued yet.
    return first ? [{ variant, panel: panels[0], t: 0, series: 'asked for', value: r.startReplicas }, { variant, panel: panels[0], t: 0, series: 'ready', value: r.startReplicas }, ...points] : points;
  });
  const title = `Autoscaling on ${spec.label}: replicas, the metric and the backlog`;
  return {
    name: `autoscale-${metric}`,
    title,
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      title: { text: title, subtitle: `read from the sidecar's Stats at each sync; seconds since the burst; the load stopped at ${runs[0]?.loadStopS ?? 0} s` },
      data: { values },
      facet: {
        row: { field: 'variant', type: 'nominal', sort: labelOrder(runs.map((r) => r.variant), shown), title: null },
        column: { field: 'panel', type: 'nominal', sort: panels, title: null },
      },
      spec: {
        width: 220,
        height: 110,
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds since the burst' },
          y: { field: 'value', type: 'quantitative', title: null, axis: { tickMinStep: 1 } },
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: { domain: ['asked for', 'ready', spec.label, 'target', 'queued', 'in flight'], range: ['#1f77b4', '#9ecae1', '#d62728', '#7f7f7f', '#2ca02c', '#ff7f0e'] },
            legend: { orient: 'top', labelLimit: 300 },
          },
        },
      },
      resolve: { scale: { y: 'independent' } },
      config: CONFIG,
    },
  };
}
