/**
 * What every scenario gets from the runner, and the steps they share:
 * a fresh lab, sampling, publishing with timestamps, waiting for the
 * messages to be done, and turning what the services exported into the
 * common part of a scenario's result.
 */
import type { OtlpReceiver } from '@backlog-lab/harness/otlp-receiver';
import type { OutgoingMessage } from '@backlog-lab/common/contract';
import { asError } from '@backlog-lab/common/errors';
import { distribution, round } from '../lib/distribution.ts';
import { startLab, nowMs, sleep, scrapeWorker, type Env, type Lab, type SidecarHandle, type WorkerHandle } from '../lib/lab.ts';
import { awaitBacklogSpans, messageRecords, messageRecordsFromLogs, type MessageRecord } from '../lib/messages.ts';
import type { Progress } from '../lib/progress.ts';
import { maxInTransit, startSampler, type Sample, type Sampler } from '../lib/sampler.ts';
import { sum } from '@backlog-lab/harness/prometheus-text';
import type { Profile } from '../profiles.ts';
import type { ScenarioRun, SeriesPoint, WorkerInfo } from '../results.ts';
import { MODES, type ModeId } from '../variants/modes.ts';
import { STACKS } from '../variants/stacks.ts';
import { variantKey, type Variant } from '../variants/variant.ts';

export interface RunContext {
  readonly profile: Profile;
  readonly receiver: OtlpReceiver;
  readonly progress: Progress;
}

/** One scenario on one variant, while it runs. */
export interface ScenarioSession {
  readonly ctx: RunContext;
  readonly variant: Variant;
  /** variant.mode, which most steps need. */
  readonly mode: ModeId;
  readonly lab: Lab;
  readonly sampler: Sampler;
  /** Unix ms the scenario's clock starts at; every time in its result is relative to it. */
  readonly t0Ms: number;
  /**
   * When the runner sent the Publish that queued each id. The sidecar stamps
   * the message between that and the answer, so waits measured from here are
   * at most one request's trip too long, never negative.
   */
  readonly publishedAtMs: Map<string, number>;
  /** Seconds since t0. */
  elapsedS(): number;
  /** Publishes and records when each id's Publish was sent. */
  publish(count: number, options: { priority: number; payloadBytes: number; idPrefix: string; from?: number }): Promise<string[]>;
}

export async function withSession<T>(ctx: RunContext, scenario: string, variant: Variant, sidecarEnv: Env, body: (s: ScenarioSession) => Promise<T>): Promise<T> {
  ctx.progress.begin(scenario, variantKey(variant));
  ctx.progress.phase('starting the sidecar');
  const lab = await startLab({ variant, sidecarEnv, otlpEndpoint: ctx.receiver.endpoint });
  const t0Ms = nowMs();
  const sampler = startSampler(lab, t0Ms, ctx.profile.sampleIntervalMs);
  const publishedAtMs = new Map<string, number>();
  const session: ScenarioSession = {
    ctx,
    variant,
    mode: variant.mode,
    lab,
    sampler,
    t0Ms,
    publishedAtMs,
    elapsedS: () => (nowMs() - t0Ms) / 1000,
    async publish(count, { priority, payloadBytes, idPrefix, from = 0 }) {
      const payload = Buffer.alloc(payloadBytes, 0x61);
      const batchSize = Math.max(1, Math.min(1000, Math.floor((3 * 1024 * 1024) / (payloadBytes + 64))));
      const ids: string[] = [];
      for (let start = 0; start < count; start += batchSize) {
        const batch: OutgoingMessage[] = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => ({
          id: `${idPrefix}-${String(from + start + i).padStart(6, '0')}`,
          priority,
          payload,
        }));
        const sentAt = nowMs();
        const got = await lab.sidecar.admin.publish(batch);
        for (const id of got) publishedAtMs.set(id, sentAt);
        ids.push(...got);
      }
      return ids;
    },
  };
  ctx.progress.watch(() => describe(sampler.latest(), lab.workers));
  try {
    return await body(session);
  } finally {
    await sampler.stop();
    await lab.close();
  }
}

function describe(sample: Sample | undefined, workers: readonly WorkerHandle[]): string {
  if (!sample) return '';
  let acked = 0;
  const transit: string[] = [];
  for (const w of workers) {
    const s = sample.workers[w.id];
    if (!s) continue;
    acked += s.acked;
    if (s.inTransit !== null) transit.push(`${w.id.split('-').at(-1) ?? w.id} ${s.inTransit}`);
  }
  return `${acked} done, ${sample.queued} queued · in transit: ${transit.join(', ') || '-'}`;
}

/** A steady stream of Publish calls, started by startPublisher. */
export interface Publisher {
  /** Every id published so far, in publish order (a live view). */
  readonly ids: readonly string[];
  /** Stops publishing; resolves to every id published, or rejects with what made a Publish fail. */
  stop(): Promise<string[]>;
}

const PUBLISH_TICK_MS = 20;

/** Publishes at a steady rate (messages per second, priority 1) until stopped. */
export function startPublisher(s: ScenarioSession, ratePerS: number, prefix: string): Publisher {
  const ids: string[] = [];
  // An object, so the loop sees stop() flip it.
  const state = { running: true };
  let failure: Error | undefined;
  const loop = (async () => {
    const began = nowMs();
    let sent = 0;
    while (state.running) {
      const due = Math.floor(((nowMs() - began) / 1000) * ratePerS) - sent;
      if (due > 0) {
        ids.push(...await s.publish(due, { priority: 1, payloadBytes: s.ctx.profile.payloadBytes, idPrefix: prefix, from: sent }));
        sent += due;
      }
      await sleep(PUBLISH_TICK_MS);
    }
  })().catch((error: unknown) => {
    // Reported by stop(); the scenario fails there.
    failure = asError(error);
    state.running = false;
  });
  return {
    ids,
    async stop() {
      state.running = false;
      await loop;
      if (failure) throw failure;
      return ids;
    },
  };
}

/** Polls the latest samples until `done` holds; fails after the profile's drain timeout. */
export async function waitUntil(s: ScenarioSession, what: string, done: (sample: Sample) => boolean, timeoutS = s.ctx.profile.drainTimeoutS): Promise<Sample> {
  const deadline = performance.now() + timeoutS * 1000;
  for (;;) {
    const sample = await s.sampler.sampleNow();
    if (done(sample)) return sample;
    if (performance.now() > deadline) throw new Error(`${variantKey(s.variant)}: timed out after ${timeoutS} s waiting for ${what}`);
    await sleep(Math.min(100, s.ctx.profile.sampleIntervalMs));
  }
}

/** Waits until each of these workers' sidecar lists it as connected (a stream open, or a Pull seen). */
export async function waitConnected(s: ScenarioSession, workerIds: readonly string[]): Promise<void> {
  const deadline = performance.now() + 60_000;
  const sidecarOf = (id: string): SidecarHandle => s.lab.workers.find((w) => w.id === id)?.sidecar ?? s.lab.sidecar;
  for (;;) {
    const asked = [...new Set(workerIds.map(sidecarOf))];
    const stats = new Map(await Promise.all(asked.map(async (sc) => [sc, await sc.admin.stats()] as const)));
    if (workerIds.every((id) => stats.get(sidecarOf(id))?.workers.some((w) => w.workerId === id && w.connected))) return;
    if (performance.now() > deadline) throw new Error(`${variantKey(s.variant)}: ${workerIds.join(', ')} did not connect within 60 s`);
    await sleep(20);
  }
}

/**
 * Waits until a worker has started `minStarted` messages and holds all its
 * mode lets it hold. In a mode the worker bounds (credits, polling) that is
 * so once messages wait in the sidecar's queue (it would have handed them
 * over otherwise); where only bytes bound it (`stream`) the queue can be
 * empty while the window still takes more, so there it is when dispatched
 * has not moved for `stableMs`.
 */
export async function waitHolding(s: ScenarioSession, workerId: string, minStarted: number, stableMs = 300): Promise<Sample> {
  let last = -1;
  let since = performance.now();
  return waitUntil(s, `${workerId} to hold what it can take`, (sample) => {
    const w = sample.workers[workerId];
    if (!w || (w.started ?? 0) < minStarted) return false;
    if (MODES[s.mode].bound !== null) return sample.queued > 0;
    if (w.dispatched !== last) {
      last = w.dispatched;
      since = performance.now();
      return false;
    }
    return performance.now() - since >= stableMs;
  });
}

/** Sum of a Stats field over the given workers in a sample. */
export function total(sample: Sample, workerIds: readonly string[], field: 'dispatched' | 'acked' | 'inFlight' | 'requeued' | 'lost'): number {
  return workerIds.reduce((n, id) => n + (sample.workers[id]?.[field] ?? 0), 0);
}

/** Waits until `count` messages are acked (or lost) across all of the scenario's workers. */
export function waitForAllDone(s: ScenarioSession, count: number): Promise<Sample> {
  return waitUntil(s, `${count} messages done`, (sample) => {
    const ids = s.lab.workers.map((w) => w.id);
    return total(sample, ids, 'acked') + total(sample, ids, 'lost') >= count;
  });
}

export interface Finished {
  readonly run: ScenarioRun;
  readonly records: readonly MessageRecord[];
}

/**
 * Ends the scenario: a final look at the workers' histograms, a graceful
 * stop (so their last spans are flushed), then the common result.
 */
export async function finish(s: ScenarioSession, scenario: string): Promise<Finished> {
  s.ctx.progress.phase('collecting');
  const finalSample = await s.sampler.sampleNow();
  const histogram = { count: 0, sumS: 0 };
  let expectedSpans = 0;
  // Killed workers cannot be scraped (and lost their unexported spans): the
  // cross-check covers the workers still running.
  const checked = new Set<string>();
  for (const w of s.lab.workers) {
    const metrics = await scrapeWorker(w);
    if (!metrics) continue;
    checked.add(w.id);
    histogram.count += sum(metrics, 'worker_client_backlog_seconds_count');
    histogram.sumS += sum(metrics, 'worker_client_backlog_seconds_sum');
    expectedSpans += sum(metrics, 'worker_messages_started_total');
  }
  await s.sampler.stop();
  const durationS = s.elapsedS();
  await s.lab.stopWorkers();
  const ids = new Set(s.lab.workers.map((w) => w.id));
  // Per-message records from the logs, which every stack writes; the spans a
  // tracing stack exported are counted beside them as a cross-check.
  const records = messageRecordsFromLogs(s.lab.workers.map((w) => ({ id: w.id, logs: w.proc.logs })), s.t0Ms, s.publishedAtMs);
  const spans = STACKS[s.variant.stack].traces ? await awaitBacklogSpans(s.ctx.receiver, ids, expectedSpans) : [];
  const spanRecords = messageRecords(spans, s.t0Ms, s.publishedAtMs).filter((r) => checked.has(r.worker));
  const checkedRecords = records.filter((r) => checked.has(r.worker));
  const maxByWorker = maxInTransit(s.sampler.samples);
  const workers: WorkerInfo[] = s.lab.workers.map((w) => {
    const own = records.filter((r) => r.worker === w.id);
    const readyAtS = round((w.readyAtMs - s.t0Ms) / 1000, 3);
    const firstStartedS = own.length > 0 ? Math.min(...own.map((r) => r.startedS)) : null;
    return {
      id: w.id,
      role: w.role,
      delayMs: w.delayMs,
      readyAtS,
      firstStartedS,
      timeToFirstMessageS: firstStartedS === null ? null : round(firstStartedS - readyAtS, 3),
      processed: w.processed().length,
      started: own.length,
      maxInTransit: maxByWorker[w.id] ?? 0,
    };
  });
  const mean = (list: readonly MessageRecord[]): number => (list.length > 0 ? list.reduce((n, r) => n + r.backlogS, 0) / list.length : 0);
  const run: ScenarioRun = {
    scenario,
    variant: s.variant,
    t0UnixMs: Math.round(s.t0Ms),
    durationS: round(durationS, 3),
    workers,
    series: toSeries(s.sampler.samples),
    maxInTransit: Math.max(0, ...Object.values(maxByWorker)),
    backlog: distribution(records.map((r) => r.backlogS)),
    wait: distribution(records.flatMap((r) => (r.waitS === null ? [] : [r.waitS]))),
    checks: {
      records: checkedRecords.length,
      backlogSpans: spanRecords.length,
      histogramCount: histogram.count,
      recordMeanBacklogS: round(mean(checkedRecords)),
      spanMeanBacklogS: round(mean(spanRecords)),
      histogramMeanBacklogS: histogram.count > 0 ? round(histogram.sumS / histogram.count) : 0,
      finalQueued: finalSample.queued,
    },
    messages: records,
  };
  return { run, records };
}

function toSeries(samples: readonly Sample[]): SeriesPoint[] {
  return samples.map((s) => ({
    t: round(s.t, 3),
    queued: s.queued,
    inTransit: Object.fromEntries(Object.entries(s.workers).map(([id, w]) => [id, w.inTransit])),
    ...(s.broker ? { broker: s.broker } : {}),
  }));
}

