/** The charts over every session run: the client backlog, and a new worker's time to its first message. */
import type { MeasuredRun } from '../summary/measured.ts';
import { variantLabel, type Shown } from '../variants/variant.ts';
import { CONFIG, labelOrder, LOG_FLOOR_S, MODE_COLORS, shortId, VEGA_LITE_SCHEMA, type Chart } from './chart.ts';

export function commonCharts(measured: readonly MeasuredRun[], shown: Shown): Chart[] {
  return [backlogChart(measured, shown), firstMessageChart(measured, shown)].filter((c): c is Chart => c !== undefined);
}

function backlogChart(measured: readonly MeasuredRun[], shown: Shown): Chart | undefined {
  const ranked = measured.filter((m) => m.backlogRank !== undefined);
  const values = ranked.flatMap(({ scenario, run }) => run.messages.map((m) => ({ scenario, variant: variantLabel(run.variant, shown), mode: run.variant.mode, backlogS: Math.max(LOG_FLOOR_S, m.backlogS) })));
  if (values.length === 0) return undefined;
  return {
    name: 'backlog',
    title: 'Time in the client backlog, per mode',
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      title: { text: 'Time in the client backlog, per mode', subtitle: 'share of messages that waited at most x between the sidecar\'s dispatch and the start of processing (from each message\'s backlog span)' },
      data: { values },
      transform: [{ window: [{ op: 'cume_dist', as: 'share' }], sort: [{ field: 'backlogS' }], groupby: ['scenario', 'variant', 'mode'] }],
      facet: { column: { field: 'scenario', type: 'nominal', sort: [...new Set(ranked.map((m) => m.scenario))], title: null } },
      spec: {
        width: 240,
        height: 220,
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: {
          x: { field: 'backlogS', type: 'quantitative', title: 'seconds in client backlog (log)', scale: { type: 'log', domainMin: LOG_FLOOR_S } },
          y: { field: 'share', type: 'quantitative', title: 'share of messages', axis: { format: '%' } },
          color: { field: 'mode', type: 'nominal', scale: MODE_COLORS },
          // One line per variant when stacks or queues vary; its colour stays its mode's.
          detail: { field: 'variant', type: 'nominal' },
        },
      },
      config: CONFIG,
    },
  };
}

function firstMessageChart(measured: readonly MeasuredRun[], shown: Shown): Chart | undefined {
  const joined = measured.filter((m) => m.newcomerRole !== undefined);
  const values = joined.flatMap(({ scenario, run, newcomerRole }) => run.workers
    .filter((w) => w.role === newcomerRole)
    .map((w) => ({ scenario, variant: variantLabel(run.variant, shown), mode: run.variant.mode, worker: shortId(w.id), t: w.timeToFirstMessageS, label: w.timeToFirstMessageS === null ? 'never' : '' })));
  if (values.length === 0) return undefined;
  const x = { field: 'variant', type: 'nominal' as const, sort: labelOrder(joined.map((m) => m.run.variant), shown) };
  return {
    name: 'first-message',
    title: 'A new worker\'s time to its first message',
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      title: { text: 'A new worker\'s time to its first message', subtitle: 'from its "worker started" log line to the start of its first message; "never": it got none' },
      data: { values },
      facet: { column: { field: 'scenario', type: 'nominal', sort: [...new Set(joined.map((m) => m.scenario))], title: null } },
      spec: {
        width: 260,
        height: 200,
        layer: [
          {
            transform: [{ filter: 'datum.t !== null' }],
            mark: { type: 'point', filled: true, size: 70, opacity: 0.8 },
            encoding: {
              x: { ...x, title: null, axis: { labelAngle: 0 } },
              y: { field: 't', type: 'quantitative', title: 'seconds' },
              color: { field: 'mode', type: 'nominal', scale: MODE_COLORS, legend: null },
            },
          },
          {
            transform: [{ filter: 'datum.t === null' }, { aggregate: [{ op: 'count', as: 'workers' }], groupby: ['variant', 'label'] }],
            mark: { type: 'text', fontSize: 13, fontWeight: 'bold', baseline: 'bottom', dy: -4 },
            encoding: {
              x,
              y: { datum: 0, type: 'quantitative' },
              text: { field: 'label' },
              color: { value: '#d62728' },
            },
          },
        ],
      },
      config: CONFIG,
    },
  };
}
