/**
 * priority: one worker with a backlog of low-priority messages, then a few
 * high-priority ones. The sidecar's queue always hands out the highest
 * priority first, but it can only reorder what it still has: whatever is
 * already in transit is processed first, in order.
 */
import { distribution, round, type Distribution } from '../lib/distribution.ts';
import { CONFIG, labelOrder, LOG_FLOOR_S, MODE_COLORS, shortId, VEGA_LITE_SCHEMA, type Chart } from '../report/chart.ts';
import { formatSeconds } from '../report/format.ts';
import type { ScenarioRun } from '../results.ts';
import type { Figure } from '../summary/figure.ts';
import { variantLabel, type Shown } from '../variants/variant.ts';
import { finish, waitConnected, waitForAllDone, waitHolding, withSession } from './context.ts';
import type { Scenario } from './scenario.ts';

const LOW = 0;
const HIGH = 2;

export interface PriorityParams {
  readonly lowMessages: number;
  readonly highMessages: number;
}

export interface HighPriorityMessage {
  readonly id: string;
  readonly publishedS: number;
  readonly startedS: number | null;
  /** Publish to start of processing. */
  readonly delayS: number | null;
  /** Low-priority messages that started after this one was published and before it started. */
  readonly lowOvertaking: number;
}

export interface PriorityRun extends ScenarioRun {
  readonly highPublishedS: number;
  readonly lowInTransitWhenHighPublished: number;
  readonly high: readonly HighPriorityMessage[];
  readonly highDelay: Distribution | null;
}

export interface PrioritySummary {
  readonly delay: Distribution;
  readonly lowOvertakingMax: number;
  readonly lowInTransit: number;
}

const HIGH_PRIORITY: Figure = {
  id: 'high-priority',
  header: '4. high-priority delay, first / last',
  legend: 'Publish (the runner sent the Publish call) to start of processing of the first and the last of the high-priority messages published together behind a low-priority backlog (the last also waits for the other high ones); in brackets, how many low-priority messages were still processed before them.',
};

export const priority: Scenario<'priority', PriorityRun, PriorityParams, PrioritySummary | null> = {
  id: 'priority',
  title: 'High priority behind a backlog',
  modes: 'asked',
  profile: {
    default: { lowMessages: 100, highMessages: 5 },
    quick: { lowMessages: 100, highMessages: 5 },
  },

  run(ctx, variant) {
    const { lowMessages, highMessages } = ctx.params;
    const delayMs = ctx.profile.processingDelayMs;
    const prefix = `prio-${variant.mode}`;
    return withSession(ctx, 'priority', variant, {}, async (s) => {
      ctx.progress.phase('starting the worker');
      const worker = await s.lab.startWorker(`${prefix}-w1`, 'worker', delayMs);
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
  },

  note: (run) => `max in transit ${run.maxInTransit}, first high-priority message after ${formatSeconds(run.highDelay?.min)}`,

  measures: { of: (run) => run, backlogRank: 3 },

  summary: {
    of: (run) => (run.highDelay ? {
      delay: run.highDelay,
      lowOvertakingMax: Math.max(0, ...run.high.map((h) => h.lowOvertaking)),
      lowInTransit: run.lowInTransitWhenHighPublished,
    } : null),
    figures: [{
      figure: HIGH_PRIORITY,
      cell: (s) => (s ? `**${formatSeconds(s.delay.min)}** / ${formatSeconds(s.delay.max)} (${s.lowOvertakingMax} low first)` : '–'),
      setup: (p) => `priority: ${p.highMessages} high-priority messages behind ${p.lowMessages} low-priority ones on one worker`,
    }],
  },

  conclude({ unbounded, bounded }) {
    const s = unbounded?.summary;
    const others = bounded.filter((e) => e.summary);
    if (!unbounded || !s || others.length === 0) return [];
    const list = others.map((e) => `${e.variant.mode} ${formatSeconds(e.summary?.delay.min)}${e.summary && e.summary.lowOvertakingMax > 0 ? ` (after ${e.summary.lowOvertakingMax} low)` : ''}`).join(', ');
    return [`**Priority.** The first of the high-priority messages published behind a low-priority backlog started ${formatSeconds(s.delay.min)} later in \`${unbounded.variant.mode}\` mode: the ${s.lowOvertakingMax} low-priority messages already in transit went first, because the sidecar's priority queue cannot reorder what it has sent. With credits or polling it started after ${list}.`];
  },

  evidence({ unbounded }) {
    const n = unbounded?.summary?.lowOvertakingMax ?? 0;
    return n > 0 ? { against: `a high-priority message waited behind ${n} of them` } : {};
  },

  section({ runs, label, chart }) {
    if (runs.length === 0) return [];
    const out = [`## ${priority.title}`, '', ...chart('priority')];
    out.push('| variant | low-priority in transit when the high ones were published | high-priority delay, each | low-priority processed before them |', '|---|---|---|---|');
    for (const r of runs) {
      out.push(`| ${label(r.variant)} | ${r.lowInTransitWhenHighPublished} | ${r.high.map((h) => formatSeconds(h.delayS)).join(', ')} | ${Math.max(0, ...r.high.map((h) => h.lowOvertaking))} |`);
    }
    out.push('');
    return out;
  },

  charts: (runs, shown) => (runs.length > 0 ? [priorityChart(runs, shown)] : []),
};

function priorityChart(runs: readonly PriorityRun[], shown: Shown): Chart {
  const values = runs.flatMap((run) => run.high.flatMap((h) => (h.delayS === null ? [] : [{ variant: variantLabel(run.variant, shown), mode: run.variant.mode, id: shortId(h.id), delayS: Math.max(LOG_FLOOR_S, h.delayS), lowOvertaking: h.lowOvertaking }])));
  // The log axis starts a decade below the fastest message.
  const floor = 10 ** Math.floor(Math.log10(Math.min(1, ...values.map((v) => v.delayS)) / 2));
  const sort = labelOrder(runs.map((r) => r.variant), shown);
  const x = { field: 'variant', type: 'nominal' as const, sort };
  const color = { field: 'mode', type: 'nominal' as const, scale: MODE_COLORS, legend: null };
  return {
    name: 'priority',
    title: 'High-priority delay',
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      title: { text: 'High-priority delay', subtitle: ['publish to start of processing of each high-priority message', 'published behind a low-priority backlog; bar: the last one;', 'number: low-priority messages still processed before them'] },
      data: { values },
      width: 460,
      height: 240,
      layer: [
        {
          mark: { type: 'bar', opacity: 0.3, width: { band: 0.6 } },
          encoding: {
            x: { ...x, title: null, axis: { labelAngle: 0 } },
            // One bar per variant: x is the variant, colour its mode, so nothing to stack.
            y: { aggregate: 'max', field: 'delayS', type: 'quantitative', title: 'seconds (log)', scale: { type: 'log', domainMin: floor }, stack: null },
            color,
          },
        },
        { mark: { type: 'point', filled: true, size: 60 }, encoding: { x, y: { field: 'delayS', type: 'quantitative' }, color } },
        {
          mark: { type: 'text', baseline: 'bottom', dy: -6, fontSize: 11 },
          encoding: {
            x,
            y: { aggregate: 'max', field: 'delayS', type: 'quantitative' },
            text: { aggregate: 'max', field: 'lowOvertaking', type: 'quantitative', format: 'd' },
          },
        },
      ],
      config: CONFIG,
    },
  };
}
