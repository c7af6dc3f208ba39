/**
 * Samples what the services export, every ~100 ms: each live sidecar's Stats
 * (per worker dispatched, acked, in flight, requeued, lost; its buffer and
 * what it holds upstream), each live worker's worker_messages_started_total
 * and, with a broker behind the sidecars, what the broker itself reports for
 * the queue (its management API), all read together. In transit per worker
 * is
 *   dispatched (its sidecar) - started (worker),
 * the same expression as the PromQL in docs/telemetry.md, valid in every mode.
 */
import type { StatsResponse__Output } from '@backlog-lab/common/contract';
import { sum } from '@backlog-lab/harness/prometheus-text';
import type { Lab, SidecarHandle, WorkerHandle } from './lab.ts';
import { nowMs, scrapeWorker, sleep } from './lab.ts';

export interface WorkerSample {
  readonly dispatched: number;
  readonly acked: number;
  /** Sidecar view: dispatched, not yet acked (stream: not yet receipted). */
  readonly inFlight: number;
  readonly requeued: number;
  readonly lost: number;
  /** worker_messages_started_total; null once the worker is gone. */
  readonly started: number | null;
  /** dispatched - started; null once the worker is gone. */
  readonly inTransit: number | null;
}

export interface SidecarSample {
  /** Waiting in its queue (behind a broker: fetched and not dispatched, its buffer). */
  readonly queued: number;
  /** Held unacked upstream (rabbitmq; memory: 0). */
  readonly upstreamUnacked: number;
  /** The broker's ready count as this sidecar last saw it (memory: its queue depth). */
  readonly upstreamReady: number;
  readonly connected: boolean;
}

/** What the broker reports for the queue, read beside the Stats of the same sample. */
export interface BrokerSample {
  readonly ready: number;
  readonly unacked: number;
}

export interface Sample {
  /** Seconds since the scenario started. */
  readonly t: number;
  /** Messages waiting in the sidecars' queues, all priorities, all live sidecars. */
  readonly queued: number;
  readonly workers: Readonly<Record<string, WorkerSample>>;
  /** By sidecar name, the live ones. */
  readonly sidecars: Readonly<Record<string, SidecarSample>>;
  /** With a broker behind the sidecars; undefined when it has not counted the queue yet, or it is down. */
  readonly broker?: BrokerSample;
}

export interface Sampler {
  readonly samples: readonly Sample[];
  latest(): Sample | undefined;
  /** Takes one sample now (also used between ticks when a scenario needs a fresh view). */
  sampleNow(): Promise<Sample>;
  stop(): Promise<void>;
}

export function startSampler(lab: Lab, t0Ms: number, intervalMs: number): Sampler {
  const samples: Sample[] = [];
  const lastStarted = new Map<string, number>();
  // An object, so the loop sees stop() flip it.
  const state = { running: true };

  const lastWorker = new Map<string, WorkerSample>();

  const take = async (): Promise<Sample> => {
    const workers = [...lab.workers];
    const sidecars = lab.sidecars.filter((sc) => sc.alive);
    const [counts, scrapes, ...stats] = await Promise.all([
      lab.broker?.counts().catch(() => undefined),
      Promise.all(workers.map(scrapeWorker)),
      ...sidecars.map((sc) => sc.admin.stats().catch((error: unknown) => {
        // A sidecar killed since the filter above is simply not in this sample.
        if (sc.alive) throw error;
        return undefined;
      })),
    ]);
    const t = (nowMs() - t0Ms) / 1000;
    const statsOf = new Map<SidecarHandle, StatsResponse__Output>();
    sidecars.forEach((sc, i) => {
      const own = stats[i];
      if (own) statsOf.set(sc, own);
    });
    const byId: Record<string, WorkerSample> = {};
    workers.forEach((worker: WorkerHandle, i) => {
      const own = statsOf.get(worker.sidecar);
      const metrics = scrapes[i];
      // A paused worker starts nothing: its count is what it was when it stopped.
      const started = metrics ? sum(metrics, 'worker_messages_started_total') : worker.paused ? lastStarted.get(worker.id) : undefined;
      if (started !== undefined) lastStarted.set(worker.id, started);
      const known = lastWorker.get(worker.id);
      if (!own) {
        // Its sidecar is gone (a pod that died): what it knew last, no longer in transit anywhere.
        if (known) byId[worker.id] = { ...known, started: null, inTransit: null };
        return;
      }
      const w = own.workers.find((x) => x.workerId === worker.id);
      const dispatched = Number(w?.dispatched ?? 0);
      const sample: WorkerSample = {
        dispatched,
        acked: Number(w?.acked ?? 0),
        inFlight: Number(w?.inFlight ?? 0),
        requeued: Number(w?.requeued ?? 0),
        lost: Number(w?.lost ?? 0),
        started: started ?? null,
        inTransit: started === undefined ? null : Math.max(0, dispatched - started),
      };
      lastWorker.set(worker.id, sample);
      byId[worker.id] = sample;
    });
    const bySidecar: Record<string, SidecarSample> = {};
    let queued = 0;
    for (const [sc, own] of statsOf) {
      const depth = own.queueDepth.reduce((n, d) => n + Number(d), 0);
      queued += depth;
      bySidecar[sc.name] = {
        queued: depth,
        upstreamUnacked: Number(own.upstream?.unacked ?? 0),
        upstreamReady: Number(own.upstream?.ready ?? 0),
        connected: own.upstream?.connected ?? false,
      };
    }
    const sample: Sample = { t, queued, workers: byId, sidecars: bySidecar, ...(counts ? { broker: { ready: counts.ready, unacked: counts.unacked } } : {}) };
    samples.push(sample);
    return sample;
  };

  const loop = (async () => {
    while (state.running) {
      const began = performance.now();
      try {
        await take();
      } catch {
        // A worker or the sidecar going away mid-sample: the next tick tries again.
      }
      await sleep(Math.max(5, intervalMs - (performance.now() - began)));
    }
  })();

  return {
    samples,
    latest: () => samples.at(-1),
    sampleNow: take,
    async stop() {
      state.running = false;
      await loop;
    },
  };
}

/** Largest in-transit count each worker reached over the samples. */
export function maxInTransit(samples: readonly Sample[]): Record<string, number> {
  const max: Record<string, number> = {};
  for (const s of samples) {
    for (const [id, w] of Object.entries(s.workers)) {
      if (w.inTransit !== null) max[id] = Math.max(max[id] ?? 0, w.inTransit);
    }
  }
  return max;
}
