/**
 * scale-out: a steady load three times what one worker can do, one worker
 * for a while, then four more. Shows where the surplus waits (the sidecar
 * queue, where new workers can take it, or one worker's client backlog,
 * where they cannot), how soon each new worker gets its first message, and
 * how long the backlog takes to drain once publishing stops.
 */
import { arrival, type Arrival } from '../lib/arrival.ts';
import { distribution, round, type Distribution } from '../lib/distribution.ts';
import { sleep } from '../lib/lab.ts';
import { DASH, formatSeconds } from '../report/format.ts';
import { inTransitChart } from '../report/in-transit-chart.ts';
import type { ScenarioRun } from '../results.ts';
import { newcomerFigures, newcomerSummary, type NewcomerSummary } from '../summary/newcomers.ts';
import { finish, startPublisher, waitConnected, waitForAllDone, withSession } from './context.ts';
import type { Scenario } from './scenario.ts';

export interface ScaleOutParams {
  /** Publish rate as a multiple of one worker's capacity (1000 / processingDelayMs per second). */
  readonly loadFactor: number;
  /** Seconds of load with one worker before the others start. */
  readonly beforeS: number;
  /** Seconds of load after the new workers are up. */
  readonly afterS: number;
  readonly newWorkers: number;
}

export interface ScaleOutRun extends ScenarioRun {
  readonly ratePerS: number;
  readonly arrival: Arrival;
  readonly publishStoppedS: number;
  /** From the end of publishing until the last message finished. */
  readonly drainS: number;
  readonly newWorkersTimeToFirstMessageS: Distribution | null;
}

export const scaleOut: Scenario<'scale-out', ScaleOutRun, ScaleOutParams, NewcomerSummary> = {
  id: 'scale-out',
  title: 'Scale-out: one loaded worker, then five',
  modes: 'asked',
  profile: {
    default: { loadFactor: 3, beforeS: 10, afterS: 10, newWorkers: 4 },
    quick: { loadFactor: 3, beforeS: 3, afterS: 3, newWorkers: 4 },
  },

  run(ctx, variant) {
    const { loadFactor, beforeS, afterS, newWorkers } = ctx.params;
    const delayMs = ctx.profile.processingDelayMs;
    const ratePerS = loadFactor * (1000 / delayMs);
    const prefix = `scale-${variant.mode}`;
    return withSession(ctx, 'scale-out', variant, {}, async (s) => {
      ctx.progress.phase('starting the first worker');
      const first = await s.lab.startWorker(`${prefix}-w1`, 'first', delayMs);
      await waitConnected(s, [first.id]);
      ctx.progress.phase(`${ratePerS} msg/s, one worker`);
      const publisher = startPublisher(s, ratePerS, prefix);
      await sleep(beforeS * 1000);
      ctx.progress.phase(`${ratePerS} msg/s, starting ${newWorkers} more workers`);
      const added = await s.lab.startWorkers(Array.from({ length: newWorkers }, (_, i) => ({ id: `${prefix}-w${i + 2}`, role: 'new', delayMs })));
      ctx.progress.phase(`${ratePerS} msg/s, ${newWorkers + 1} workers`);
      await sleep(afterS * 1000);
      const ids = await publisher.stop();
      const publishStoppedS = s.elapsedS();
      ctx.progress.phase(`draining ${ids.length} messages`);
      await waitForAllDone(s, ids.length);
      const { run, records } = await finish(s, 'scale-out');

      const atS = Math.min(...added.map((w) => (w.readyAtMs - s.t0Ms) / 1000));
      const publishedBy = ids.filter((id) => ((s.publishedAtMs.get(id) ?? Infinity) - s.t0Ms) / 1000 <= atS);
      const newIds = new Set(added.map((w) => w.id));
      const lastFinishS = Math.max(0, ...s.lab.workers.flatMap((w) => w.processed().map((p) => (p.atMs - s.t0Ms) / 1000)));
      return {
        ...run,
        ratePerS,
        arrival: arrival(records, publishedBy, new Set([first.id]), newIds, atS),
        publishStoppedS: round(publishStoppedS, 3),
        drainS: round(Math.max(0, lastFinishS - publishStoppedS), 3),
        newWorkersTimeToFirstMessageS: distribution(run.workers.filter((w) => newIds.has(w.id)).flatMap((w) => (w.timeToFirstMessageS === null ? [] : [w.timeToFirstMessageS]))),
      };
    });
  },

  note: (run) => `max in transit ${run.maxInTransit}, drained ${formatSeconds(run.drainS)} after publishing stopped`,

  // Steady load: the client backlog that stands for figure 2.
  measures: { of: (run) => run, backlogRank: 1, newcomerRole: 'new' },

  summary: {
    of: (run) => newcomerSummary(run.arrival, run, 'new'),
    figures: newcomerFigures((p) => `scale-out: ${p.newWorkers} join a loaded worker`),
  },

  conclude({ unbounded, bounded }) {
    if (!unbounded) return [];
    const run = unbounded.run;
    const drains = bounded.map((e) => `${e.variant.mode} ${formatSeconds(e.run.drainS)}`).join(', ');
    return [`**Scale-out.** At ${run.ratePerS} msg/s (three workers' worth), the first \`${unbounded.variant.mode}\` worker had ${run.arrival.inTransit} messages in transit when four more came up; they got ${run.arrival.newWorkersGot} of those, so that worker alone worked them off and the backlog took ${formatSeconds(run.drainS)} to drain after publishing stopped${drains ? ` (${drains} in the other modes)` : ''}.`];
  },

  evidence({ unbounded }) {
    const a = unbounded?.run.arrival;
    return a && a.inTransit > 0 && a.newWorkersGot === 0 ? { against: 'none of them went to a worker added later' } : {};
  },

  section({ runs, label, chart }) {
    if (runs.length === 0) return [];
    const out = [`## ${scaleOut.title}`, '', ...chart('in-transit-scale-out')];
    out.push('| variant | rate | max in transit (first worker) | in transit when 4 joined → taken by them | unstarted then → taken by them | drain after publishing stopped | processed per worker |', '|---|---|---|---|---|---|---|');
    for (const r of runs) {
      out.push(`| ${label(r.variant)} | ${r.ratePerS} msg/s | ${r.workers[0]?.maxInTransit ?? DASH} | ${r.arrival.inTransit} → ${r.arrival.newWorkersGot} | ${r.arrival.unstarted} → ${r.arrival.newWorkersGotOfUnstarted} | ${formatSeconds(r.drainS)} | ${r.workers.map((w) => w.processed).join(', ')} |`);
    }
    out.push('');
    return out;
  },

  charts: (runs, shown) => (runs.length > 0 ? [inTransitChart('in-transit-scale-out', 'In transit per worker over time: scale-out (1 worker, then 5)', runs, shown)] : []),
};
