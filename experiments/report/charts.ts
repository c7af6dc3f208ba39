/**
 * The report's charts as Vega-Lite specs, built from results.json only, so
 * a chart can be regenerated from a saved results file.
 */
import type { TopLevelSpec } from 'vega-lite';
import { MODE_IDS } from '../modes.ts';
import type { Results, ScenarioRun } from '../results.ts';

export interface Chart {
  /** File name without extension. */
  readonly name: string;
  readonly title: string;
  readonly spec: TopLevelSpec;
}

export const CHART_FONT = 'DejaVu Sans';

const CONFIG = {
  font: CHART_FONT,
  background: 'white',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' as const, offset: 12 },
};

const MODE_SORT = [...MODE_IDS];
const MODE_COLORS = { domain: MODE_SORT, range: ['#d62728', '#1f77b4', '#9467bd', '#2ca02c'] };
/** Backlog seconds below this are drawn at it, so a log axis can show them. */
const LOG_FLOOR_S = 1e-4;

export function buildCharts(results: Results): Chart[] {
  const charts: Chart[] = [];
  if (results.scaleOut.length > 0) charts.push(inTransitChart('in-transit-scale-out', 'In transit per worker over time: scale-out (1 worker, then 5)', results.scaleOut));
  if (results.hoard.length > 0) charts.push(inTransitChart('in-transit-hoard', 'In transit per worker over time: hoard (a slow worker, two join later)', results.hoard));
  const backlog = backlogChart(results);
  if (backlog) charts.push(backlog);
  const first = firstMessageChart(results);
  if (first) charts.push(first);
  if (results.priority.length > 0) charts.push(priorityChart(results));
  if (results.kill.length > 0) charts.push(killChart(results));
  if (results.sizeSweep && results.sizeSweep.points.length > 0) charts.push(sizeSweepChart(results));
  return charts;
}

const shortId = (id: string): string => id.split('-').at(-1) ?? id;

/** 0, 1, 2, 5, 10, 20, 50, ... up to max: a symlog axis labels only its ends otherwise. */
function symlogTicks(max: number): number[] {
  const ticks = [0];
  for (let decade = 1; decade <= max; decade *= 10) {
    for (const f of [1, 2, 5]) if (f * decade <= max) ticks.push(f * decade);
  }
  return ticks;
}

function inTransitChart(name: string, title: string, runs: readonly ScenarioRun[]): Chart {
  const values = runs.flatMap((run) => {
    const roles = new Map(run.workers.map((w) => [w.id, `${shortId(w.id)} (${w.role})`]));
    return run.series.flatMap((p) => Object.entries(p.inTransit).flatMap(([id, v]) => (v === null ? [] : [{ mode: run.mode, t: p.t, worker: roles.get(id) ?? id, inTransit: v }])));
  });
  const top = Math.max(1, ...values.map((v) => v.inTransit));
  return {
    name,
    title,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: title, subtitle: 'dispatched (sidecar Stats) - started (worker metrics), sampled every 100 ms; y axis is symlog' },
      data: { values },
      facet: { row: { field: 'mode', type: 'nominal', sort: MODE_SORT, title: null } },
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

function backlogChart(results: Results): Chart | undefined {
  const runs: ScenarioRun[] = [...results.hoard, ...results.scaleOut, ...results.priority];
  const values = runs.flatMap((run) => run.messages.map((m) => ({ scenario: run.scenario, mode: run.mode, backlogS: Math.max(LOG_FLOOR_S, m.backlogS) })));
  if (values.length === 0) return undefined;
  return {
    name: 'backlog',
    title: 'Time in the client backlog, per mode',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: 'Time in the client backlog, per mode', subtitle: 'share of messages that waited at most x between the sidecar\'s dispatch and the start of processing (from each message\'s backlog span)' },
      data: { values },
      transform: [{ window: [{ op: 'cume_dist', as: 'share' }], sort: [{ field: 'backlogS' }], groupby: ['scenario', 'mode'] }],
      facet: { column: { field: 'scenario', type: 'nominal', sort: ['hoard', 'scale-out', 'priority'], title: null } },
      spec: {
        width: 240,
        height: 220,
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: {
          x: { field: 'backlogS', type: 'quantitative', title: 'seconds in client backlog (log)', scale: { type: 'log', domainMin: LOG_FLOOR_S } },
          y: { field: 'share', type: 'quantitative', title: 'share of messages', axis: { format: '%' } },
          color: { field: 'mode', type: 'nominal', sort: MODE_SORT, scale: MODE_COLORS },
        },
      },
      config: CONFIG,
    },
  };
}

function firstMessageChart(results: Results): Chart | undefined {
  const runs: ScenarioRun[] = [...results.hoard, ...results.scaleOut];
  const values = runs.flatMap((run) => run.workers
    .filter((w) => w.role === 'later' || w.role === 'new')
    .map((w) => ({ scenario: run.scenario, mode: run.mode, worker: shortId(w.id), t: w.timeToFirstMessageS, label: w.timeToFirstMessageS === null ? 'never' : '' })));
  if (values.length === 0) return undefined;
  return {
    name: 'first-message',
    title: 'A new worker\'s time to its first message',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: 'A new worker\'s time to its first message', subtitle: 'from its "worker started" log line to the start of its first message; "never": it got none' },
      data: { values },
      facet: { column: { field: 'scenario', type: 'nominal', sort: ['hoard', 'scale-out'], title: null } },
      spec: {
        width: 260,
        height: 200,
        layer: [
          {
            transform: [{ filter: 'datum.t !== null' }],
            mark: { type: 'point', filled: true, size: 70, opacity: 0.8 },
            encoding: {
              x: { field: 'mode', type: 'nominal', sort: MODE_SORT, title: null, axis: { labelAngle: 0 } },
              y: { field: 't', type: 'quantitative', title: 'seconds' },
              color: { field: 'mode', type: 'nominal', sort: MODE_SORT, scale: MODE_COLORS, legend: null },
            },
          },
          {
            transform: [{ filter: 'datum.t === null' }, { aggregate: [{ op: 'count', as: 'workers' }], groupby: ['mode', 'label'] }],
            mark: { type: 'text', fontSize: 13, fontWeight: 'bold', baseline: 'bottom', dy: -4 },
            encoding: {
              x: { field: 'mode', type: 'nominal', sort: MODE_SORT },
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

function priorityChart(results: Results): Chart {
  const values = results.priority.flatMap((run) => run.high.flatMap((h) => (h.delayS === null ? [] : [{ mode: run.mode, id: shortId(h.id), delayS: Math.max(LOG_FLOOR_S, h.delayS), lowOvertaking: h.lowOvertaking }])));
  // The log axis starts a decade below the fastest message.
  const floor = 10 ** Math.floor(Math.log10(Math.min(1, ...values.map((v) => v.delayS)) / 2));
  return {
    name: 'priority',
    title: 'High-priority delay',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: 'High-priority delay', subtitle: ['publish to start of processing of each high-priority message', 'published behind a low-priority backlog; bar: the last one;', 'number: low-priority messages still processed before them'] },
      data: { values },
      width: 460,
      height: 240,
      layer: [
        {
          mark: { type: 'bar', opacity: 0.3, width: { band: 0.6 } },
          encoding: {
            x: { field: 'mode', type: 'nominal', sort: MODE_SORT, title: null, axis: { labelAngle: 0 } },
            y: { aggregate: 'max', field: 'delayS', type: 'quantitative', title: 'seconds (log)', scale: { type: 'log', domainMin: floor } },
            color: { field: 'mode', type: 'nominal', sort: MODE_SORT, scale: MODE_COLORS, legend: null },
          },
        },
        {
          mark: { type: 'point', filled: true, size: 60 },
          encoding: {
            x: { field: 'mode', type: 'nominal', sort: MODE_SORT },
            y: { field: 'delayS', type: 'quantitative' },
            color: { field: 'mode', type: 'nominal', sort: MODE_SORT, scale: MODE_COLORS, legend: null },
          },
        },
        {
          mark: { type: 'text', baseline: 'bottom', dy: -6, fontSize: 11 },
          encoding: {
            x: { field: 'mode', type: 'nominal', sort: MODE_SORT },
            y: { aggregate: 'max', field: 'delayS', type: 'quantitative' },
            text: { aggregate: 'max', field: 'lowOvertaking', type: 'quantitative', format: 'd' },
          },
        },
      ],
      config: CONFIG,
    },
  };
}

function killChart(results: Results): Chart {
  const values = results.kill.flatMap((k) => [
    { mode: k.mode, what: '1 held by the killed worker', n: k.heldAtKill },
    { mode: k.mode, what: '2 lost', n: k.lost },
    { mode: k.mode, what: '3 redelivered', n: k.redelivered },
  ]);
  return {
    name: 'kill',
    title: 'Worker killed (SIGKILL) while holding messages',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: 'Worker killed (SIGKILL) while holding messages', subtitle: 'held: dispatched to it and not finished; lost: sidecar Stats; redelivered: processed again with attempt > 1' },
      data: { values },
      width: 460,
      height: 240,
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'mode', type: 'nominal', sort: MODE_SORT, title: null, axis: { labelAngle: 0 } },
            xOffset: { field: 'what', type: 'nominal' },
            y: { field: 'n', type: 'quantitative', title: 'messages' },
            color: { field: 'what', type: 'nominal', title: null, scale: { range: ['#7f7f7f', '#d62728', '#2ca02c'] }, legend: { labelExpr: 'slice(datum.label, 2)', orient: 'top', labelLimit: 400 } },
          },
        },
        {
          mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 10 },
          encoding: {
            x: { field: 'mode', type: 'nominal', sort: MODE_SORT },
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

function sizeSweepChart(results: Results): Chart {
  const sweep = results.sizeSweep;
  const label = (option: number): string => (option === 0 ? 'window: grpc-js default' : option >= 1024 * 1024 ? `window ${option / (1024 * 1024)} MiB` : `window ${option / 1024} KiB`);
  const values = (sweep?.points ?? []).map((p) => ({
    window: label(p.windowOption),
    order: p.windowOption,
    payload: p.payloadBytes,
    measured: p.measured,
    model: p.model,
    low: p.modelLow,
    high: p.modelHigh,
  }));
  const x = { field: 'payload', type: 'quantitative' as const, title: 'payload bytes (log)', scale: { type: 'log' as const } };
  return {
    name: 'size-sweep',
    title: 'Size sweep: predicted vs measured in transit for one stopped reader',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: 'Size sweep: predicted vs measured in transit for one stopped reader (stream mode)', subtitle: 'band: Q + (H + W)/(S + 5) plus 1..16 on the server; line: its centre; dots: measured' },
      data: { values },
      facet: { column: { field: 'window', type: 'nominal', sort: { field: 'order' }, title: null } },
      spec: {
        width: 220,
        height: 240,
        layer: [
          { mark: { type: 'area', opacity: 0.25, color: '#1f77b4' }, encoding: { x, y: { field: 'low', type: 'quantitative', title: 'messages in transit (log)', scale: { type: 'log' } }, y2: { field: 'high' } } },
          { mark: { type: 'line', color: '#1f77b4', strokeDash: [4, 3] }, encoding: { x, y: { field: 'model', type: 'quantitative' } } },
          { mark: { type: 'point', filled: true, size: 60, color: '#d62728' }, encoding: { x, y: { field: 'measured', type: 'quantitative' } } },
          { mark: { type: 'text', dx: 8, align: 'left', fontSize: 10, color: '#d62728' }, encoding: { x, y: { field: 'measured', type: 'quantitative' }, text: { field: 'measured', type: 'quantitative' } } },
        ],
      },
      resolve: { scale: { y: 'independent' } },
      config: CONFIG,
    },
  };
}
