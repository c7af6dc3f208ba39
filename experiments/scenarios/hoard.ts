/**
 * hoard (replays googleapis/google-cloud-java#3152): 60 messages, one slow
 * worker takes what its mode lets it take, then more workers come up. In
 * `stream` mode the first worker's window swallows all 60 and the later
 * workers never see one of them; with credits or polling they get work at
 * their first request.
 */
import { arrival } from '../lib/arrival.ts';
import { round } from '../lib/distribution.ts';
import { modeEnv, type ModeId } from '../modes.ts';
import type { HoardRun } from '../results.ts';
import { finish, waitConnected, waitForAllDone, waitHolding, withSession, type RunContext } from './context.ts';

export function runHoard(ctx: RunContext, mode: ModeId): Promise<HoardRun> {
  const { messages, hoarderDelayMs, laterWorkers } = ctx.profile.hoard;
  const delayMs = ctx.profile.processingDelayMs;
  const prefix = `hoard-${mode}`;
  return withSession(ctx, 'hoard', mode, {}, async (s) => {
    ctx.progress.phase('starting the hoarder');
    const hoarder = await s.lab.startWorker(`${prefix}-w1`, 'hoarder', hoarderDelayMs, modeEnv(mode));
    await waitConnected(s, [hoarder.id]);
    ctx.progress.phase(`publishing ${messages}`);
    const ids = await s.publish(messages, { priority: 1, payloadBytes: ctx.profile.payloadBytes, idPrefix: prefix });
    ctx.progress.phase('hoarder taking what it can');
    await waitHolding(s, hoarder.id, 1);
    ctx.progress.phase(`starting ${laterWorkers} more workers`);
    const later = await s.lab.startWorkers(Array.from({ length: laterWorkers }, (_, i) => ({
      id: `${prefix}-w${i + 2}`, role: 'later', delayMs, env: modeEnv(mode),
    })));
    ctx.progress.phase('processing');
    await waitForAllDone(s, ids.length);
    const { run, records } = await finish(s, 'hoard');

    const atS = Math.min(...later.map((w) => (w.readyAtMs - s.t0Ms) / 1000));
    const laterIds = new Set(later.map((w) => w.id));
    const hoarderDone = hoarder.processed().map((p) => (p.atMs - s.t0Ms) / 1000);
    const hoarderLastFinishS = Math.max(0, ...hoarderDone);
    const laterInfo = run.workers.filter((w) => laterIds.has(w.id));
    return {
      ...run,
      arrival: arrival(records, ids, new Set([hoarder.id]), laterIds, atS),
      lastStartS: round(Math.max(0, ...records.map((r) => r.startedS)), 3),
      hoarderProcessed: hoarder.processed().length,
      laterProcessed: later.reduce((n, w) => n + w.processed().length, 0),
      laterStartedWhileHoarderBusy: laterInfo.every((w) => w.firstStartedS !== null && w.firstStartedS < hoarderLastFinishS),
    };
  });
}
