/**
 * scale-out: a steady load three times what one worker can do, one worker
 * for a while, then four more. Shows where the surplus waits (the sidecar
 * queue, where new workers can take it, or one worker's client backlog,
 * where they cannot), how soon each new worker gets its first message, and
 * how long the backlog takes to drain once publishing stops.
 */
import { asError } from '@backlog-lab/common/errors';
import { arrival } from '../lib/arrival.ts';
import { distribution, round } from '../lib/distribution.ts';
import { nowMs, sleep } from '../lib/lab.ts';
import { modeEnv, type ModeId } from '../modes.ts';
import type { ScaleOutRun } from '../results.ts';
import { finish, waitConnected, waitForAllDone, withSession, type RunContext, type ScenarioSession } from './context.ts';

const TICK_MS = 20;

export function runScaleOut(ctx: RunContext, mode: ModeId): Promise<ScaleOutRun> {
  const { loadFactor, beforeS, afterS, newWorkers } = ctx.profile.scaleOut;
  const delayMs = ctx.profile.processingDelayMs;
  const ratePerS = loadFactor * (1000 / delayMs);
  const prefix = `scale-${mode}`;
  return withSession(ctx, 'scale-out', mode, {}, async (s) => {
    ctx.progress.phase('starting the first worker');
    const first = await s.lab.startWorker(`${prefix}-w1`, 'first', delayMs, modeEnv(mode));
    await waitConnected(s, [first.id]);
    ctx.progress.phase(`${ratePerS} msg/s, one worker`);
    const publisher = startPublisher(s, ratePerS, prefix);
    await sleep(beforeS * 1000);
    ctx.progress.phase(`${ratePerS} msg/s, starting ${newWorkers} more workers`);
    const added = await s.lab.startWorkers(Array.from({ length: newWorkers }, (_, i) => ({
      id: `${prefix}-w${i + 2}`, role: 'new', delayMs, env: modeEnv(mode),
    })));
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
}

/** Publishes at a steady rate until stopped; resolves to every id published. */
function startPublisher(s: ScenarioSession, ratePerS: number, prefix: string): { stop(): Promise<string[]> } {
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
      await sleep(TICK_MS);
    }
  })().catch((error: unknown) => {
    // Reported by stop(); the scenario fails there.
    failure = asError(error);
    state.running = false;
  });
  return {
    async stop() {
      state.running = false;
      await loop;
      if (failure) throw failure;
      return ids;
    },
  };
}
