/**
 * kill: a worker holding messages is killed with SIGKILL just after it
 * starts a message, then a rescuer comes up. What the victim held (in
 * transit plus the one in hand) is lost in `stream` mode, which has no way
 * to hand messages back; `credit` requeues it when the stream breaks, `poll`
 * when the ack deadline passes, and the rescuer processes it as attempt 2.
 */
import { round } from '../lib/distribution.ts';
import { sleep, startedCount } from '../lib/lab.ts';
import { modeEnv, type ModeId } from '../modes.ts';
import type { KillRun } from '../results.ts';
import { finish, waitConnected, waitForAllDone, waitUntil, withSession, type RunContext } from './context.ts';

export function runKill(ctx: RunContext, mode: ModeId): Promise<KillRun> {
  const { messages, victimDelayMs, killAtStart, ackDeadlineMs } = ctx.profile.kill;
  const delayMs = ctx.profile.processingDelayMs;
  const prefix = `kill-${mode}`;
  return withSession(ctx, 'kill', mode, { ACK_DEADLINE_MS: ackDeadlineMs }, async (s) => {
    ctx.progress.phase('starting the victim');
    const victim = await s.lab.startWorker(`${prefix}-victim`, 'victim', victimDelayMs, modeEnv(mode));
    await waitConnected(s, [victim.id]);
    ctx.progress.phase(`publishing ${messages}`);
    const ids = await s.publish(messages, { priority: 1, payloadBytes: ctx.profile.payloadBytes, idPrefix: prefix });

    // Kill right after a start, so the victim surely has one message in hand.
    ctx.progress.phase(`waiting for the victim to start message ${killAtStart}`);
    const deadline = performance.now() + ctx.profile.drainTimeoutS * 1000;
    let started = (await startedCount(victim)) ?? 0;
    while (started < killAtStart) {
      if (performance.now() > deadline) throw new Error(`${mode}: the victim never started ${killAtStart} messages`);
      await sleep(5);
      started = (await startedCount(victim)) ?? 0;
    }
    const before = await s.lab.sidecar.admin.stats();
    await s.lab.kill(victim);
    const killedAtS = s.elapsedS();
    const victimBefore = before.workers.find((w) => w.workerId === victim.id);
    const inTransitAtKill = Math.max(0, Number(victimBefore?.dispatched ?? 0) - started);

    ctx.progress.phase('waiting for the sidecar to notice');
    await waitUntil(s, 'the victim\'s messages to be released', (sample) => (sample.workers[victim.id]?.inFlight ?? 1) === 0, ackDeadlineMs / 1000 + 30);
    ctx.progress.phase('starting the rescuer');
    await s.lab.startWorker(`${prefix}-rescuer`, 'rescuer', delayMs, modeEnv(mode));
    ctx.progress.phase('processing');
    const done = await waitForAllDone(s, ids.length);
    const { run } = await finish(s, 'kill');

    const v = done.workers[victim.id];
    const processed = s.lab.workers.flatMap((w) => w.processed());
    const finishedIds = new Set(processed.map((p) => p.messageId));
    const victimFinished = victim.processed().length;
    return {
      ...run,
      victim: victim.id,
      killedAtS: round(killedAtS, 3),
      published: ids.length,
      heldAtKill: (v?.dispatched ?? 0) - victimFinished,
      inTransitAtKill,
      lost: v?.lost ?? 0,
      requeued: v?.requeued ?? 0,
      redelivered: processed.filter((p) => p.attempt > 1).length,
      neverProcessed: ids.filter((id) => !finishedIds.has(id)).length,
    };
  });
}
