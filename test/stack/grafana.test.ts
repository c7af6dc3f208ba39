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
import {
  PROVISIONING_DIR,
  allDashboardQueries,
  allPanels,
  dashboardQueries,
  loadDashboards,
  provisionedDatasourceUids,
  rulesFileFor,
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

test('the in-transit panel uses sidecar dispatched minus worker started by worker_id, valid in every mode', () => {
  const main = loadDashboards().find((dashboard) => dashboard.uid === 'backlog-lab');
  assert.ok(main);
  const inTransit = dashboardQueries(main).find((query) => query.where === 'In transit per worker');
  assert.ok(inTransit);
  assert.match(inTransit.promql, /sum by \(worker_id\) \(sidecar_messages_dispatched_total\{[^}]*\}\) - sum by \(worker_id\) \(worker_messages_started_total\{[^}]*\}\)/);
  const panel = allPanels(main).find((item) => item.title === 'In transit per worker');
  const custom = asRecord(asRecord(asRecord(panel?.json.fieldConfig, 'fieldConfig').defaults, 'defaults').custom, 'custom');
  assert.equal(asRecord(custom.stacking, 'stacking').mode, 'normal', 'in transit per worker is stacked');
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
