/**
 * Grafana's provisioning and dashboards, checked without running anything:
 * every panel explains itself, every datasource exists, every query is PromQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { autoscalerQueries } from './autoscalers.ts';
import {
  PROVISIONING_DIR,
  allDashboardQueries,
  allPanels,
  dashboardQueries,
  loadDashboards,
  provisionedDatasourceUids,
  rulesFileFor,
  type Dashboard,
  type Panel,
} from './dashboards.ts';
import { ROOT, asArray, asRecord, isRecord, runToolOk } from './tools.ts';

const GRAFANA_BUILT_IN_UIDS = new Set(['-- Grafana --', 'grafana']);

function provisioningFiles(): string[] {
  return ['datasources', 'dashboards'].flatMap((kind) =>
    readdirSync(path.join(PROVISIONING_DIR, kind)).map((name) => path.join(PROVISIONING_DIR, kind, name)),
  );
}

/** Every datasource uid a dashboard mentions, wherever it sits. */
function referencedUids(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedUids(item, found);
  } else if (isRecord(value)) {
    if (isRecord(value.datasource) && typeof value.datasource.uid === 'string') found.add(value.datasource.uid);
    for (const item of Object.values(value)) referencedUids(item, found);
  }
  return found;
}

test('there is a main dashboard and a service-health dashboard, with distinct uids', () => {
  const uids = loadDashboards().map((dashboard) => dashboard.uid);
  assert.deepEqual([...uids].sort(), ['backlog-lab', 'backlog-lab-health']);
});

test('every panel has a description that tells how to read it', () => {
  for (const dashboard of loadDashboards()) {
    for (const panel of allPanels(dashboard)) {
      if (panel.type === 'row') continue;
      const description = typeof panel.json.description === 'string' ? panel.json.description : '';
      assert.ok(description.length >= 60, `${dashboard.file}: panel "${panel.title}" has no real description`);
    }
  }
});

test('panel ids are unique within each dashboard', () => {
  for (const dashboard of loadDashboards()) {
    const ids = allPanels(dashboard).map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length, `${dashboard.file} repeats a panel id`);
  }
});

test('every datasource a dashboard uses is provisioned, under the same uid', () => {
  const provisioned = provisionedDatasourceUids();
  for (const dashboard of loadDashboards()) {
    for (const uid of referencedUids(dashboard.json)) {
      if (GRAFANA_BUILT_IN_UIDS.has(uid)) continue;
      assert.ok(provisioned.has(uid), `${dashboard.file} uses datasource uid "${uid}", which is not provisioned`);
    }
  }
  for (const query of allDashboardQueries()) {
    assert.equal(query.datasourceUid, 'prometheus', `${query.dashboard} "${query.where}" ${query.refId} has no Prometheus datasource`);
  }
});

test('every dashboard query parses as PromQL once Grafana variables are substituted', () => {
  const queries = allDashboardQueries();
  assert.ok(queries.length > 20, `only ${queries.length} queries found`);
  const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-queries-'));
  try {
    const rules = path.join(dir, 'rules.yml');
    writeFileSync(rules, rulesFileFor(queries));
    // promtool names the failing rule's expression, so its output says which panel broke.
    runToolOk('promtool', ['check', 'rules', rules]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a query that is not PromQL fails the same check (the check can fail)', () => {
  const [dashboard] = loadDashboards();
  assert.ok(dashboard);
  const [query] = dashboardQueries(dashboard);
  assert.ok(query);
  const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-queries-'));
  try {
    const rules = path.join(dir, 'rules.yml');
    writeFileSync(rules, rulesFileFor([{ ...query, promql: `${query.promql} by by (` }]));
    assert.throws(() => runToolOk('promtool', ['check', 'rules', rules]), /exited/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const IN_TRANSIT = 'In transit per worker: client backlog + the one in hand';

function mainDashboard(): Dashboard {
  const main = loadDashboards().find((dashboard) => dashboard.uid === 'backlog-lab');
  assert.ok(main);
  return main;
}

function panelNamed(dashboard: Dashboard, title: string): Panel {
  const panel = allPanels(dashboard).find((item) => item.title === title);
  assert.ok(panel, `no panel "${title}"`);
  return panel;
}

test('the headline in-transit panel stacks the sidecar\'s own in-flight gauge per worker: one source, one instant, never negative', () => {
  const main = mainDashboard();
  const [first] = allPanels(main).filter((panel) => panel.type !== 'row');
  assert.equal(first?.title, IN_TRANSIT, 'the in-transit panel is the first one');
  const queries = dashboardQueries(main).filter((query) => query.where === IN_TRANSIT);
  assert.equal(queries.length, 1);
  assert.match(queries[0]?.promql ?? '', /^sum by \(worker_id\) \(sidecar_messages_in_flight\{[^}]*\}\)$/);
  const panel = panelNamed(main, IN_TRANSIT);
  assert.match(String(panel.json.description), /client backlog/);
  assert.match(String(panel.json.description), /one it is processing/);
  const custom = asRecord(asRecord(asRecord(panel.json.fieldConfig, 'fieldConfig').defaults, 'defaults').custom, 'custom');
  assert.equal(asRecord(custom.stacking, 'stacking').mode, 'normal', 'in transit per worker is stacked');
});

test('no query subtracts worker-side counts from sidecar-side counts without clamping at 0 (two scrapes, two instants)', () => {
  for (const query of allDashboardQueries()) {
    if (!/sidecar_messages_dispatched_total/.test(query.promql) || !/worker_messages_started_total/.test(query.promql)) continue;
    assert.match(query.promql, /^clamp_min\(/, `${query.dashboard} / ${query.where} [${query.refId}] can go negative: ${query.promql}`);
  }
});

test('idle workers come from the exact busy fraction and are named, not counted from a sampled 0/1 gauge', () => {
  const main = mainDashboard();
  const title = 'Workers idle while messages wait elsewhere';
  const panel = panelNamed(main, title);
  const targets = asArray(panel.json.targets, 'targets').map((item) => asRecord(item, 'target'));
  const idle = dashboardQueries(main).find((query) => query.where === title && query.refId === 'A');
  assert.ok(idle);
  assert.match(idle.promql, /rate\(worker_processing_seconds_sum\{[^}]*\}\[/);
  assert.doesNotMatch(idle.promql, /avg_over_time\(worker_busy/);
  assert.match(idle.promql, /sum by \(worker_id\)/);
  assert.equal(targets.find((target) => target.refId === 'A')?.legendFormat, '{{worker_id}}', 'each idle worker is a series named by its id');
});

test('every "max" series is a real maximum, never histogram_quantile(1, ...), which draws a bucket\'s upper edge', () => {
  for (const query of allDashboardQueries()) {
    assert.doesNotMatch(query.promql, /histogram_quantile\(\s*1(\.0*)?\s*,/, `${query.dashboard} / ${query.where} [${query.refId}]`);
  }
  const main = mainDashboard();
  for (const title of ['Time in client backlog by mode: p50, p95, p99, max', 'Time in client backlog by worker: p50, p95, p99, max']) {
    const panel = panelNamed(main, title);
    const max = asArray(panel.json.targets, 'targets').map((item) => asRecord(item, 'target')).find((target) => String(target.legendFormat).endsWith(' max'));
    assert.ok(max, `${title} has no max series`);
    assert.match(String(max.expr), /max_over_time\(worker_client_backlog_max_seconds\{/);
  }
});

test('the main dashboard shows the oldest message age, queued and in flight per worker, and the firing alerts', () => {
  const queries = dashboardQueries(mainDashboard());
  assert.ok(queries.some((query) => query.promql.includes('sidecar_queue_oldest_message_age_seconds')));
  assert.ok(queries.some((query) => /by \(worker_id\) \(sidecar_in_flight_oldest_message_age_seconds/.test(query.promql)));
  const alerts = queries.find((query) => query.promql.includes('ALERTS{alertstate="firing"}'));
  assert.ok(alerts, 'no panel lists the firing alerts');
  assert.equal(panelNamed(mainDashboard(), alerts.where).type, 'table');
});

test('a row sets what the broker reports beside where the messages are, and draws the autoscalers\' metric exactly', () => {
  const main = mainDashboard();
  const rowTitle = 'What the broker sees vs where the messages are';
  const panels = allPanels(main);
  const row = panels.findIndex((panel) => panel.type === 'row' && panel.title === rowTitle);
  assert.ok(row >= 0, `no row "${rowTitle}"`);
  const nextRow = panels.findIndex((panel, index) => index > row && panel.type === 'row');
  const inRow = new Set(panels.slice(row + 1, nextRow < 0 ? undefined : nextRow).map((panel) => panel.title));
  const queries = dashboardQueries(main).filter((query) => inRow.has(query.where)).map((query) => query.promql);
  for (const metric of ['rabbitmq_detailed_queue_messages_ready', 'rabbitmq_detailed_queue_messages_unacked', 'sidecar_upstream_ready_messages',
    'sidecar_upstream_unacked_messages', 'sidecar_queue_depth', 'sidecar_messages_in_flight']) {
    assert.ok(queries.some((promql) => promql.includes(metric)), `the broker row does not show ${metric}`);
  }
  for (const query of autoscalerQueries().filter((item) => item.where.startsWith('keda trigger outstanding'))) {
    assert.ok(queries.includes(query.promql), `the broker row does not draw ${query.where}: ${query.promql}`);
  }
});

test('the backlog and end-to-end panels show exemplars and warn that they subtract two clocks', () => {
  const main = loadDashboards().find((dashboard) => dashboard.uid === 'backlog-lab');
  assert.ok(main);
  const queries = dashboardQueries(main);
  for (const metric of ['worker_client_backlog_seconds_bucket', 'worker_end_to_end_seconds_bucket']) {
    const using = queries.filter((query) => query.promql.includes(metric));
    assert.ok(using.some((query) => query.exemplar), `no query of ${metric} asks for exemplars`);
    for (const query of using) {
      const panel = allPanels(main).find((item) => item.title === query.where);
      assert.match(String(panel?.json.description), /clock/i, `"${query.where}" does not mention the clock caveat`);
    }
  }
});

test('the main dashboard has mode and worker variables and marks worker-count changes', () => {
  const main = loadDashboards().find((dashboard) => dashboard.uid === 'backlog-lab');
  assert.ok(main);
  const templating = asRecord(main.json.templating, 'templating');
  const names = asArray(templating.list, 'templating.list').map((item) => asRecord(item, 'variable').name);
  assert.deepEqual(names, ['mode', 'worker']);
  const annotations = dashboardQueries(main).filter((query) => query.where.startsWith('annotation:'));
  assert.ok(annotations.some((query) => query.promql.includes('sidecar_workers_connected')));
});

test('Prometheus exemplars link to Tempo, and Tempo links back to Prometheus', () => {
  const file = path.join(PROVISIONING_DIR, 'datasources/datasources.yaml');
  const config = asRecord(parseYaml(readFileSync(file, 'utf8')) as unknown, file);
  const byUid = new Map(asArray(config.datasources, 'datasources').map((item) => {
    const datasource = asRecord(item, 'datasource');
    return [datasource.uid, datasource] as const;
  }));
  const prometheus = byUid.get('prometheus');
  const tempo = byUid.get('tempo');
  assert.ok(prometheus && tempo);
  const destinations = asArray(asRecord(prometheus.jsonData, 'jsonData').exemplarTraceIdDestinations, 'exemplarTraceIdDestinations');
  assert.deepEqual(destinations.map((item) => asRecord(item, 'destination')), [{ name: 'trace_id', datasourceUid: 'tempo' }]);
  const tempoJson = asRecord(tempo.jsonData, 'tempo jsonData');
  assert.equal(asRecord(tempoJson.tracesToMetrics, 'tracesToMetrics').datasourceUid, 'prometheus');
  assert.equal(asRecord(tempoJson.serviceMap, 'serviceMap').datasourceUid, 'prometheus');
});

test('provisioning files write every literal $ as $$ (Grafana expands environment variables in them)', () => {
  for (const file of provisioningFiles()) {
    const text = readFileSync(file, 'utf8');
    for (const [index, line] of text.split('\n').entries()) {
      // Comments are not expanded; in values, any `$` left once the escaped
      // ones are removed would be taken for ${ENV} or $ENV.
      const value = line.replace(/(^|\s)#.*$/, '');
      assert.ok(!value.replaceAll('$$', '').includes('$'), `${path.relative(ROOT, file)}:${index + 1}: unescaped $ in: ${line.trim()}`);
    }
  }
});

test('the dashboards provider reads the folder compose mounts the dashboards into', () => {
  const file = path.join(PROVISIONING_DIR, 'dashboards/dashboards.yaml');
  const config = asRecord(parseYaml(readFileSync(file, 'utf8')) as unknown, file);
  const [provider] = asArray(config.providers, 'providers').map((item) => asRecord(item, 'provider'));
  const providerPath = asRecord(provider?.options, 'options').path;
  const compose = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
  assert.ok(compose.includes(`./deploy/grafana/dashboards:${String(providerPath)}:ro`), `compose does not mount the dashboards at ${String(providerPath)}`);
});
