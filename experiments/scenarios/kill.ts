/**
 * kill: a worker holding messages is killed with SIGKILL just after it
 * starts a message, then a rescuer comes up. What the victim held (in
 * transit plus the one in hand) is lost in `stream` mode, which has no way
 * to hand messages back; `credit` requeues it when the stream breaks, `poll`
 * when the ack deadline passes, and the rescuer processes it as attempt 2.
 * Every run also checks that what Stats calls lost is what no worker
 * processed, and counts ids processed more than once.
 */
import { round } from '../lib/distribution.ts';
import { sleep, startedCount } from '../lib/lab.ts';
import { CONFIG, labelOrder, VEGA_LITE_SCHEMA, type Chart } from '../report/chart.ts';
import { DASH, formatSeconds } from '../report/format.ts';
import type { ScenarioRun } from '../results.ts';
import type { Figure } from '../summary/figure.ts';
import { variantKey, variantLabel, type Shown } from '../variants/variant.ts';
import { finish, waitConnected, waitForAllDone, withSession, type ScenarioSession } from './context.ts';
import type { Scenario } from './scenario.ts';

export interface KillParams {
  readonly messages: number;
  readonly victimDelayMs: number;
  /** The victim is killed just after it starts this many-th message. */
  readonly killAtStart: number;
}

export interface KillRun extends ScenarioRun {
  readonly victim: string;
  /** When the SIGKILL was sent. */
  readonly killedAtS: number;
  readonly published: number;
  /** Dispatched to the victim and not finished by it: what died with it (in transit + in hand). */
  readonly heldAtKill: number;
  /** dispatched - started at the last look before the kill. */
  readonly inTransitAtKill: number;
  /** Sidecar Stats for the victim after the kill. */
  readonly lost: number;
  readonly requeued: number;
  /** Processed with attempt > 1 (from the workers' logs). */
  readonly redelivered: number;
  /** Published ids no worker ever finished. */
  readonly neverProcessed: number;
  /** lost (Stats) = neverProcessed (logs): the sidecar's count of what died is exact. */
  readonly lostIsNeverProcessed: boolean;
  /** Ids with more than one `message processed` line across all workers. */
  readonly duplicates: number;
  /** Kill to the moment the sidecar held nothing for the victim any more (requeued, or counted lost), from Stats every few ms. */
  readonly releasedAfterS: number;
  /** Kill to the start of the first message with attempt > 1 (its span); null: nothing was redelivered. */
  readonly firstRedeliveryS: number | null;
  /** The rescuer's `worker started` line to that start: redelivery without the rescuer's start-up. */
  readonly rescuerToRedeliveryS: number | null;
}

export type KillSummary = Pick<KillRun, 'heldAtKill' | 'inTransitAtKill' | 'lost' | 'redelivered' | 'neverProcessed' | 'duplicates' | 'releasedAfterS'>;

const KILL: Figure = {
  id: 'kill',
  header: '5. kill: held → lost / redelivered (released after) / duplicates',
  legend: 'Messages dispatched to the killed worker and not finished by it (in transit plus the one in hand), how many the sidecar counted lost, how many another worker processed again (attempt > 1) and, in brackets, how long after the kill the sidecar had taken them back (requeued: a worker already waiting gets one at that moment; stream: counted lost once the receipt grace is over), then ids processed more than once. RabbitMQ\'s reference on this machine, redelivering a dead consumer\'s messages to one already connected, is 11-14 ms.',
};

/**
 * Seconds from the kill until the sidecar no longer counts anything in
 * flight to the victim (requeued, or counted lost): asked of Stats alone
 * every few milliseconds, so it is exact to about that. A worker already
 * waiting would get a requeued message at that moment, so this is the
 * figure to hold against a broker's redelivery after a consumer's death.
 */
async function releaseTime(s: ScenarioSession, victimId: string, killedAtS: number): Promise<number> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const stats = await s.lab.sidecar.admin.stats();
    const at = s.elapsedS();
    if (Number(stats.workers.find((w) => w.workerId === victimId)?.inFlight ?? 0) === 0) return at - killedAtS;
    if (performance.now() > deadline) throw new Error(`${victimId}: its messages were not released within 60 s of the kill`);
    await sleep(2);
  }
}

export const kill: Scenario<'kill', KillRun, KillParams, KillSummary> = {
  id: 'kill',
  title: 'Worker killed while holding messages',
  modes: 'asked',
  profile: {
    default: { messages: 100, victimDelayMs: 100, killAtStart: 4 },
    quick: { messages: 60, victimDelayMs: 100, killAtStart: 4 },
  },

  run(ctx, variant) {
    const { messages, victimDelayMs, killAtStart } = ctx.params;
    const delayMs = ctx.profile.processingDelayMs;
    const prefix = `kill-${variant.mode}`;
    // The sidecar's own defaults: a dead credit worker is noticed by its broken
    // stream, a dead poll worker by its lease lapsing (POLL_LEASE_MS), a dead
    // stream worker's messages are counted lost after the receipt grace.
    return withSession(ctx, 'kill', variant, {}, async (s) => {
      ctx.progress.phase('starting the victim');
      const victim = await s.lab.startWorker(`${prefix}-victim`, 'victim', victimDelayMs);
      await waitConnected(s, [victim.id]);
      ctx.progress.phase(`publishing ${messages}`);
      const ids = await s.publish(messages, { priority: 1, payloadBytes: ctx.profile.payloadBytes, idPrefix: prefix });

      // Kill while the victim has a message in hand and every one it
      // finished is settled at the sidecar and in its log: then what the victim held is exactly
      // what it never finished. (Killed with an ack or receipt on its way,
      // one message could be processed and counted lost, or settled and never
      // logged: a race no count can win, so the scenario does not run it.)
      ctx.progress.phase(`waiting for the victim to start message ${killAtStart}`);
      const deadline = performance.now() + ctx.profile.drainTimeoutS * 1000;
      // The kill must also land before the message in hand is done. The
      // reading before the one that first counted message n still counted
      // fewer, so n started after that reading began (`startedAfter`) and is
      // unfinished until startedAfter + victimDelayMs at the earliest. The
      // kill goes within half of that, or waits for a later message: on a
      // machine too slow to read twice in time it retries rather than race.
      const { started, before } = await (async () => {
        let count = 0;
        let lastReadAt = performance.now();
        let startedAfter = lastReadAt;
        for (;;) {
          if (performance.now() > deadline) throw new Error(`${variantKey(variant)}: the victim never started ${killAtStart} messages with every earlier one settled and time left to kill it mid-message`);
          const readAt = performance.now();
          const n = (await startedCount(victim)) ?? 0;
          if (n > count) {
            count = n;
            startedAfter = lastReadAt;
          }
          lastReadAt = readAt;
          if (n >= killAtStart) {
            const stats = await s.lab.sidecar.admin.stats();
            // Settled at the sidecar and logged by the victim: a receipt the
            // sidecar has answered is logged only once the answer is back.
            const settled = Number(stats.workers.find((w) => w.workerId === victim.id)?.acked ?? 0) === n - 1 && victim.processed().length === n - 1;
            if (settled && performance.now() - startedAfter < victimDelayMs / 2) return { started: n, before: stats };
          }
          await sleep(2);
        }
      })();
      const killedAtS = s.elapsedS();
      await s.lab.kill(victim);
      const victimBefore = before.workers.find((w) => w.workerId === victim.id);
      const inTransitAtKill = Math.max(0, Number(victimBefore?.dispatched ?? 0) - started);

      ctx.progress.phase('waiting for the sidecar to notice');
      const releasedAfterS = await releaseTime(s, victim.id, killedAtS);
      ctx.progress.phase('starting the rescuer');
      const rescuer = await s.lab.startWorker(`${prefix}-rescuer`, 'rescuer', delayMs);
      ctx.progress.phase('processing');
      const done = await waitForAllDone(s, ids.length);
      const { run, records } = await finish(s, 'kill');

      const v = done.workers[victim.id];
      const processed = s.lab.workers.flatMap((w) => w.processed());
      const timesProcessed = new Map<string, number>();
      for (const p of processed) timesProcessed.set(p.messageId, (timesProcessed.get(p.messageId) ?? 0) + 1);
      const neverProcessed = ids.filter((id) => !timesProcessed.has(id)).length;
      const lost = v?.lost ?? 0;
      const redeliveredStarts = records.filter((r) => r.attempt > 1).map((r) => r.startedS);
      const firstRedeliveredS = redeliveredStarts.length > 0 ? Math.min(...redeliveredStarts) : null;
      const rescuerReadyS = (rescuer.readyAtMs - s.t0Ms) / 1000;
      return {
        ...run,
        victim: victim.id,
        killedAtS: round(killedAtS, 3),
        published: ids.length,
        heldAtKill: (v?.dispatched ?? 0) - victim.processed().length,
        inTransitAtKill,
        lost,
        requeued: v?.requeued ?? 0,
        redelivered: processed.filter((p) => p.attempt > 1).length,
        neverProcessed,
        lostIsNeverProcessed: lost === neverProcessed,
        duplicates: [...timesProcessed.values()].filter((n) => n > 1).length,
        releasedAfterS: round(releasedAfterS, 3),
        firstRedeliveryS: firstRedeliveredS === null ? null : round(firstRedeliveredS - killedAtS, 3),
        rescuerToRedeliveryS: firstRedeliveredS === null ? null : round(firstRedeliveredS - rescuerReadyS, 3),
      };
    });
  },

  note: (run) => `held ${run.heldAtKill}, lost ${run.lost}, redelivered ${run.redelivered}, taken back ${formatSeconds(run.releasedAfterS)} after the kill, ${run.duplicates} duplicates${run.lostIsNeverProcessed ? '' : `; Stats lost ${run.lost} but ${run.neverProcessed} never processed`}`,

  measures: { of: (run) => run },

  summary: {
    of: (run) => ({
      heldAtKill: run.heldAtKill,
      inTransitAtKill: run.inTransitAtKill,
      lost: run.lost,
      redelivered: run.redelivered,
      neverProcessed: run.neverProcessed,
      duplicates: run.duplicates,
      releasedAfterS: run.releasedAfterS,
    }),
    figures: [{
      figure: KILL,
      cell: (s) => `${s.heldAtKill} → **${s.lost} lost** / ${s.redelivered} redelivered (${formatSeconds(s.releasedAfterS)}) / ${s.duplicates} dup`,
      setup: (p) => `kill: ${p.messages} messages, SIGKILL just after the victim starts its ${ordinal(p.killAtStart)}, the sidecar's default ack deadline, lease and receipt grace`,
    }],
  },

  conclude({ unbounded, bounded }) {
    const s = unbounded?.summary;
    const others = bounded.filter((e) => e.summary);
    if (!unbounded || !s || others.length === 0) return [];
    const fate = s.lost === s.neverProcessed
      ? 'no worker ever processed them'
      : `but ${s.neverProcessed} were never processed by any worker, so Stats' count is not exact`;
    const list = others.map((e) => {
      const k = e.run;
      const when = k.redelivered === 0 ? '' : ` (taken back ${formatSeconds(k.releasedAfterS)} after the kill)`;
      const off = k.lostIsNeverProcessed ? '' : `, though ${k.neverProcessed} were never processed`;
      return `${e.variant.mode} lost ${k.lost} and redelivered ${k.redelivered}${when}${off}`;
    }).join('; ');
    const dups = [unbounded, ...others].filter((e) => e.run.duplicates > 0).map((e) => `${e.variant.mode} ${e.run.duplicates}`);
    const dupLine = dups.length > 0 ? ` Processed more than once: ${dups.join(', ')}.` : ' No message was processed twice.';
    return [`**Worker death.** Killing a \`${unbounded.variant.mode}\` worker lost ${s.lost} messages: all it held (${s.inTransitAtKill} in transit and the one in hand); ${fate}. ${list}.${dupLine}`];
  },

  evidence({ unbounded, bounded }) {
    const lost = unbounded?.summary?.lost ?? 0;
    const safe = bounded.filter((e) => e.run.lost === 0 && e.run.neverProcessed === 0).map((e) => e.variant.mode);
    return {
      ...(lost > 0 ? { against: `${lost} were lost when their worker died` } : {}),
      ...(safe.length > 0 ? { kept: { clause: 'lost nothing when a worker died', modes: safe } } : {}),
    };
  },

  section({ runs, label, chart }) {
    if (runs.length === 0) return [];
    const out = [`## ${kill.title}`, '', ...chart('kill')];
    out.push('| variant | published | in transit at the kill | held (in transit + in hand) | lost (Stats) | never processed by anyone | requeued (Stats) | redelivered (attempt > 1) | processed twice or more | kill → released | kill → first redelivered start | rescuer ready → first redelivered start |', '|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of runs) {
      out.push(`| ${label(r.variant)} | ${r.published} | ${r.inTransitAtKill} | ${r.heldAtKill} | ${r.lost} | ${r.neverProcessed} | ${r.requeued} | ${r.redelivered} | ${r.duplicates} | ${formatSeconds(r.releasedAfterS)} | ${r.firstRedeliveryS === null ? DASH : formatSeconds(r.firstRedeliveryS)} | ${r.rescuerToRedeliveryS === null ? DASH : formatSeconds(r.rescuerToRedeliveryS)} |`);
    }
    out.push('');
    const differ = runs.filter((r) => !r.lostIsNeverProcessed);
    out.push(differ.length === 0
      ? 'In every run, what Stats counted lost is exactly what no worker processed.'
      : `**Stats' lost and what no worker processed differ** in ${differ.map((r) => `${label(r.variant)} (lost ${r.lost}, never processed ${r.neverProcessed})`).join(', ')}.`, '');
    out.push('Kill → released is when the sidecar had taken back what the victim held, asked of Stats every few milliseconds: `credit` requeues when the stream breaks, `poll` when the lease lapses (POLL_LEASE_MS, renewed by a live worker), `stream` counts the rest lost once the receipt grace (RECEIPT_GRACE_MS) is over. A worker already waiting gets a requeued message at that moment, so this is the figure to hold against RabbitMQ\'s 11-14 ms on this machine. The rescuer here starts only after the release, so the next column includes its start-up; the last is from its ready announcement.', '');
    return out;
  },

  charts: (runs, shown) => (runs.length > 0 ? [killChart(runs, shown)] : []),
};

function ordinal(n: number): string {
  return `${n}${n === 1 ? 'st' : n === 2 ? 'nd' : n === 3 ? 'rd' : 'th'}`;
}

function killChart(runs: readonly KillRun[], shown: Shown): Chart {
  const values = runs.flatMap((k) => {
    const variant = variantLabel(k.variant, shown);
    return [
      { variant, what: '1 held by the killed worker', n: k.heldAtKill },
      { variant, what: '2 lost', n: k.lost },
      { variant, what: '3 redelivered', n: k.redelivered },
    ];
  });
  const x = { field: 'variant', type: 'nominal' as const, sort: labelOrder(runs.map((r) => r.variant), shown) };
  return {
    name: 'kill',
    title: 'Worker killed (SIGKILL) while holding messages',
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      title: { text: 'Worker killed (SIGKILL) while holding messages', subtitle: 'held: dispatched to it and not finished; lost: sidecar Stats; redelivered: processed again with attempt > 1' },
      data: { values },
      width: 460,
      height: 240,
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            x: { ...x, title: null, axis: { labelAngle: 0 } },
            xOffset: { field: 'what', type: 'nominal' },
            y: { field: 'n', type: 'quantitative', title: 'messages' },
            color: { field: 'what', type: 'nominal', title: null, scale: { range: ['#7f7f7f', '#d62728', '#2ca02c'] }, legend: { labelExpr: 'slice(datum.label, 2)', orient: 'top', labelLimit: 400 } },
          },
        },
        {
          mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 10 },
          encoding: {
            x,
            xOffset: { field: 'what', type: 'nominal' },
            y: { field: 'n', type: 'quantitative' },
            text: { field: 'n', type: 'quantitative' },
          },
        },
      ],
      config: CONFIG,
    },
  };
}
