/** In transit per worker over time, one row per variant: the chart of every scenario that loads workers over time. */
import type { ScenarioRun } from '../results.ts';
import { variantLabel, type Shown } from '../variants/variant.ts';
import { CONFIG, labelOrder, shortId, symlogTicks, VEGA_LITE_SCHEMA, type Chart } from './chart.ts';

export function inTransitChart(name: string, title: string, runs: readonly ScenarioRun[], shown: Shown): Chart {
  const values = runs.flatMap((run) => {
    const roles = new Map(run.workers.map((w) => [w.id, `${shortId(w.id)} (${w.role})`]));
    const variant = variantLabel(run.variant, shown);
    return run.series.flatMap((p) => Object.entries(p.inTransit).flatMap(([id, v]) => (v === null ? [] : [{ variant, t: p.t, worker: roles.get(id) ?? id, inTransit: v }])));
  });
  const top = Math.max(1, ...values.map((v) => v.inTransit));
  return {
    name,
    title,
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      title: { text: title, subtitle: 'dispatched (sidecar Stats) - started (worker metrics), sampled every 100 ms; y axis is symlog' },
      data: { values },
      facet: { row: { field: 'variant', type: 'nominal', sort: labelOrder(runs.map((r) => r.variant), shown), title: null } },
      spec: {
        width: 620,
        height: 130,
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds since the scenario started' },
          y: { field: 'inTransit', type: 'quantitative', title: 'in transit', scale: { type: 'symlog', domain: [0, top] }, axis: { values: symlogTicks(top) } },
          color: { field: 'worker', type: 'nominal', title: 'worker', scale: { scheme: 'tableau10' } },
        },
      },
      config: CONFIG,
    },
  };
}
