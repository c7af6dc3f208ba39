/**
 * hoard (replays googleapis/google-cloud-java#3152): 60 messages, one slow
 * worker takes what its mode lets it take, then more workers come up. In
 * `stream` mode the first worker's window swallows all 60 and the later
 * workers never see one of them; with credits or polling they get work at
 * their first request.
 */
import { arrival, type Arrival } from '../lib/arrival.ts';
import { round } from '../lib/distribution.ts';
import { DASH, formatSeconds } from '../report/format.ts';
import { inTransitChart } from '../report/in-transit-chart.ts';
import type { ScenarioRun } from '../results.ts';
import { newcomerFigures, newcomerSummary, type NewcomerSummary } from '../summary/newcomers.ts';
import { finish, waitConnected, waitForAllDone, waitHolding, withSession } from './context.ts';
import type { Scenario } from './scenario.ts';

export interface HoardParams {
  readonly messages: number;
  /** The first worker's processing time: the slow consumer that hoards. */
  readonly hoarderDelayMs: number;
  readonly laterWorkers: number;
}

export interface HoardRun extends ScenarioRun {
  readonly arrival: Arrival;
  /** When the last message started. */
  readonly lastStartS: number;
  readonly hoarderProcessed: number;
  readonly laterProcessed: number;
  /**
   * Every later worker that came up while messages still waited in the
   * sidecar's queue got its first message before the hoarder finished its
   * last one. (One that came up after the others had emptied the queue had
   * nothing left to take: on a loaded machine two workers started together
   * can be ready seconds apart.)
   */
  readonly laterStartedWhileHoarderBusy: boolean;
  /** Later workers that came up while messages were still queued. */
  readonly laterReadyWhileQueued: readonly string[];
}

export const hoard: Scenario<'hoard', HoardRun, HoardParams, NewcomerSummary> = {
  id: 'hoard',
  title: 'Hoard: a slow worker takes what it can, two more join',
  modes: 'asked',
  profile: {
    default: { messages: 60, hoarderDelayMs: 1000, laterWorkers: 2 },
    quick: { messages: 60, hoarderDelayMs: 250, laterWorkers: 2 },
  },

  run(ctx, variant) {
    const { messages, hoarderDelayMs, laterWorkers } = ctx.params;
    const delayMs = ctx.profile.processingDelayMs;
    const prefix = `hoard-${variant.mode}`;
    return withSession(ctx, 'hoard', variant, {}, async (s) => {
      ctx.progress.phase('starting the hoarder');
      const hoarder = await s.lab.startWorker(`${prefix}-w1`, 'hoarder', hoarderDelayMs);
      await waitConnected(s, [hoarder.id]);
      ctx.progress.phase(`publishing ${messages}`);
      const ids = await s.publish(messages, { priority: 1, payloadBytes: ctx.profile.payloadBytes, idPrefix: prefix });
      ctx.progress.phase('hoarder taking what it can');
      await waitHolding(s, hoarder.id, 1);
      ctx.progress.phase(`starting ${laterWorkers} more workers`);
      const later = await s.lab.startWorkers(Array.from({ length: laterWorkers }, (_, i) => ({ id: `${prefix}-w${i + 2}`, role: 'later', delayMs })));
      ctx.progress.phase('processing');
      await waitForAllDone(s, ids.length);
      const { run, records } = await finish(s, 'hoard');

      const atS = Math.min(...later.map((w) => (w.readyAtMs - s.t0Ms) / 1000));
      const laterIds = new Set(later.map((w) => w.id));
      const hoarderLastFinishS = Math.max(0, ...hoarder.processed().map((p) => (p.atMs - s.t0Ms) / 1000));
      // The queue as sampled when each later worker announced it was ready.
      const queuedAt = (t: number): number => run.series.find((p) => p.t >= t)?.queued ?? 0;
      const readyWhileQueued = run.workers.filter((w) => laterIds.has(w.id) && queuedAt(w.readyAtS) > 0);
      return {
        ...run,
        arrival: arrival(records, ids, new Set([hoarder.id]), laterIds, atS),
        lastStartS: round(Math.max(0, ...records.map((r) => r.startedS)), 3),
        hoarderProcessed: hoarder.processed().length,
        laterProcessed: later.reduce((n, w) => n + w.processed().length, 0),
        laterStartedWhileHoarderBusy: readyWhileQueued.every((w) => w.firstStartedS !== null && w.firstStartedS < hoarderLastFinishS),
        laterReadyWhileQueued: readyWhileQueued.map((w) => w.id),
      };
    });
  },

  note: (run) => `max in transit ${run.maxInTransit}, later workers processed ${run.laterProcessed}`,

  measures: { of: (run) => run, backlogRank: 2, newcomerRole: 'later' },

  summary: {
    of: (run) => newcomerSummary(run.arrival, run, 'later'),
    figures: newcomerFigures((p) => `hoard: ${p.messages} messages, a worker at ${p.hoarderDelayMs} ms each, ${p.laterWorkers} more join`),
  },

  conclude({ unbounded, bounded }) {
    if (!unbounded?.summary) return [];
    const s = unbounded.summary;
    const run = unbounded.run;
    const never = s.timeToFirstMessageS.every((t) => t === null);
    const hoarder = run.workers.find((w) => w.role === 'hoarder');
    const others = bounded.filter((e) => e.summary).map((e) => {
      const times = (e.summary?.timeToFirstMessageS ?? []).filter((t): t is number => t !== null);
      return `${e.variant.mode} ${times.length > 0 ? formatSeconds(Math.max(...times)) : 'never'}`;
    });
    const tail = never ? `: they never received a message, while the first worker took until ${formatSeconds(run.lastStartS)} to start its last one${hoarder ? ` at ${hoarder.delayMs} ms each` : ''}` : '';
    const rest = others.length > 0 ? ` With credits or polling the new workers had their first message within ${others.join(', ')} of starting.` : '';
    return [`**New workers (hoard).** When two workers joined a slow one, ${s.inTransit} of the ${run.arrival.unstarted} unstarted messages were already in transit to it in \`${unbounded.variant.mode}\` mode, and the new workers got ${s.newWorkersGot} of them${tail}.${rest}`];
  },

  evidence({ unbounded }) {
    const a = unbounded?.run.arrival;
    return a && a.inTransit > 0 && a.newWorkersGot === 0 ? { against: 'none of them went to a worker added later' } : {};
  },

  section({ runs, label, chart }) {
    if (runs.length === 0) return [];
    const out = [`## ${hoard.title}`, '', ...chart('in-transit-hoard')];
    out.push('| variant | in transit to the hoarder when they joined → taken by them | unstarted then → taken by them | processed (hoarder, later) | time to first message of each later worker | last message started at |', '|---|---|---|---|---|---|');
    for (const r of runs) {
      const later = r.workers.filter((w) => w.role === 'later').map((w) => (w.timeToFirstMessageS === null ? 'never' : formatSeconds(w.timeToFirstMessageS)));
      out.push(`| ${label(r.variant)} | ${r.arrival.inTransit} → ${r.arrival.newWorkersGot} | ${r.arrival.unstarted} → ${r.arrival.newWorkersGotOfUnstarted} | ${r.hoarderProcessed}, ${r.laterProcessed} | ${later.join(', ') || DASH} | ${formatSeconds(r.lastStartS)} |`);
    }
    out.push('');
    return out;
  },

  charts: (runs, shown) => (runs.length > 0 ? [inTransitChart('in-transit-hoard', 'In transit per worker over time: hoard (a slow worker, two join later)', runs, shown)] : []),
};
