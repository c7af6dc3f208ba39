/**
 * priority: one worker with a backlog of low-priority messages, then a few
 * high-priority ones. The sidecar's queue always hands out the highest
 * priority first, but it can only reorder what it still has: whatever is
 * already in transit is processed first, in order.
 */
import { distribution, round } from '../lib/distribution.ts';
import { modeEnv, type ModeId } from '../modes.ts';
import type { HighPriorityMessage, PriorityRun } from '../results.ts';
import { finish, waitConnected, waitForAllDone, waitHolding, withSession, type RunContext } from './context.ts';

const LOW = 0;
const HIGH = 2;

export function runPriority(ctx: RunContext, mode: ModeId): Promise<PriorityRun> {
  const { lowMessages, highMessages } = ctx.profile.priority;
  const delayMs = ctx.profile.processingDelayMs;
  const prefix = `prio-${mode}`;
  return withSession(ctx, 'priority', mode, {}, async (s) => {
    ctx.progress.phase('starting the worker');
    const worker = await s.lab.startWorker(`${prefix}-w1`, 'worker', delayMs, modeEnv(mode));
    await waitConnected(s, [worker.id]);
    ctx.progress.phase(`publishing ${lowMessages} low-priority`);
    const lowIds = await s.publish(lowMessages, { priority: LOW, payloadBytes: ctx.profile.payloadBytes, idPrefix: `${prefix}-low` });
    // A few done, and the worker holding whatever its mode lets it hold.
    const holding = await waitHolding(s, worker.id, 3);
    const lowInTransit = holding.workers[worker.id]?.inTransit ?? 0;
    ctx.progress.phase(`publishing ${highMessages} high-priority`);
    const highPublishedS = s.elapsedS();
    const highIds = await s.publish(highMessages, { priority: HIGH, payloadBytes: ctx.profile.payloadBytes, idPrefix: `${prefix}-high` });
    ctx.progress.phase('processing');
    await waitForAllDone(s, lowIds.length + highIds.length);
    const { run, records } = await finish(s, 'priority');

    const lowStarts = records.filter((r) => r.priority === LOW).map((r) => r.startedS);
    const high: HighPriorityMessage[] = highIds.map((id) => {
      const record = records.find((r) => r.id === id);
      const publishedS = round(((s.publishedAtMs.get(id) ?? s.t0Ms) - s.t0Ms) / 1000);
      const startedS = record?.startedS ?? null;
      return {
        id,
        publishedS,
        startedS,
        delayS: startedS === null ? null : round(startedS - publishedS),
        lowOvertaking: startedS === null ? 0 : lowStarts.filter((t) => t > publishedS && t < startedS).length,
      };
    });
    return {
      ...run,
      highPublishedS: round(highPublishedS, 3),
      lowInTransitWhenHighPublished: lowInTransit,
      high,
      highDelay: distribution(high.flatMap((h) => (h.delayS === null ? [] : [h.delayS]))),
    };
  });
}
