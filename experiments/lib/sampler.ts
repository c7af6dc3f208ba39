/**
 * Samples what the services export, every ~100 ms: the sidecar's Stats (per
 * worker dispatched, acked, in flight, requeued, lost) and each live
 * worker's worker_messages_started_total. In transit per worker is
 *   dispatched (sidecar) - started (worker),
 * the same expression as the PromQL in docs/telemetry.md, valid in every mode.
 */
import { sum } from '@backlog-lab/harness/prometheus-text';
import type { Lab, WorkerHandle } from './lab.ts';
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

export interface Sample {
  /** Seconds since the scenario started. */
  readonly t: number;
  /** Messages waiting in the sidecar queue, all priorities. */
  readonly queued: number;
  readonly workers: Readonly<Record<string, WorkerSample>>;
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

  const take = async (): Promise<Sample> => {
    const workers = [...lab.workers];
    const [stats, ...scrapes] = await Promise.all([lab.sidecar.admin.stats(), ...workers.map(scrapeWorker)]);
    const t = (nowMs() - t0Ms) / 1000;
    const byId: Record<string, WorkerSample> = {};
    workers.forEach((worker: WorkerHandle, i) => {
      const w = stats.workers.find((s) => s.workerId === worker.id);
      const metrics = scrapes[i];
      const started = metrics ? sum(metrics, 'worker_messages_started_total') : undefined;
      if (started !== undefined) lastStarted.set(worker.id, started);
      const dispatched = Number(w?.dispatched ?? 0);
      byId[worker.id] = {
        dispatched,
        acked: Number(w?.acked ?? 0),
        inFlight: Number(w?.inFlight ?? 0),
        requeued: Number(w?.requeued ?? 0),
        lost: Number(w?.lost ?? 0),
        started: started ?? null,
        inTransit: started === undefined ? null : Math.max(0, dispatched - started),
      };
    });
    const sample: Sample = { t, queued: stats.queueDepth.reduce((n, d) => n + Number(d), 0), workers: byId };
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
