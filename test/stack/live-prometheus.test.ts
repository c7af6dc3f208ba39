import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT } from '@backlog-lab/harness/repo';
import { parseMetrics } from '@backlog-lab/harness/prometheus-text';
import { waitFor } from '@backlog-lab/harness/admin-client';
import { startProcessLab, type ProcessLab } from '../support/process-lab.ts';
import { startOtlpReceiver, type OtlpReceiver } from '@backlog-lab/harness/otlp-receiver';
import { allDashboardQueries, metricNames } from './dashboards.ts';
import { AWAITED_METRICS, PROMETHEUS_SERIES, missingAwaited } from './awaited-metrics.ts';
import { autoscalerQueries } from './autoscalers.ts';
import { freePort } from '@backlog-lab/harness/free-port';

/**
 * A real Prometheus (Debian's package) scrapes a running local lab: a sidecar
 * and three workers, one per mode, with a slow stream worker holding a
 * backlog and a redelivery, a loss and high-priority traffic along the way.
 * It also evaluates the lab's alert rules (deploy/prometheus/rules). Every
 * dashboard query, every autoscaler query and every PromQL example in
 * docs/telemetry.md must return data; a dashboard query may come back empty
 * only when it names a metric of awaited-metrics.ts that the services do not
 * export yet (the test lists those).
 */
const SCRAPE_INTERVAL = '2s';


let lab: ProcessLab;
let prometheus: ChildProcess;
let promUrl = '';
let dataDir = '';
let receiver: OtlpReceiver;
const exported = new Set<string>();

interface QueryResult { status: string; error?: string; data?: { resultType: string; result: unknown[] } }

async function query(promql: string): Promise<QueryResult> {
  const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  return await response.json() as QueryResult;
}

/** Over the last minute, as Grafana evaluates annotations over the dashboard's time range. */
async function queryRange(promql: string): Promise<QueryResult> {
  const end = Date.now() / 1000;
  const response = await fetch(`${promUrl}/api/v1/query_range?query=${encodeURIComponent(promql)}&start=${end - 60}&end=${end}&step=1`);
  return await response.json() as QueryResult;
}

/**
 * Starts the lab and a Prometheus scraping it. Called at the top level, not in
 * a before() hook: node:test runs an after() registered inside a hook as soon
 * as that hook ends, and the lab.s teardown (startProcessLab registers one) would
 * stop every process before the first test.
 */
async function setUp(): Promise<void> {
  // Traces are sampled and exported (to a local sink), so histograms carry exemplars.
  receiver = await startOtlpReceiver();
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_TRACES_EXPORTER: 'otlp' };
  lab = await startProcessLab({ ...otel, ACK_DEADLINE_MS: 1000, PRODUCER_RATE: 40, HIGH_PRIORITY_RATIO: 0.2 });
  const workers = await Promise.all([
    lab.worker('p-stream', { ...otel, DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 200 }),
    lab.worker('p-credit', { ...otel, DELIVERY_MODE: 'credit', PREFETCH: 2, PROCESSING_DELAY_MS: 20 }),
    lab.worker('p-poll', { ...otel, DELIVERY_MODE: 'poll', PROCESSING_DELAY_MS: 20 }),
  ]);
  await lab.admin.publishMany(1500, { priority: 0 });
  // A stream worker that dies (lost messages) and a credit worker that stalls past the ack deadline (a requeue and a redelivery).
  const doomed = await lab.worker('p-doomed', { DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 60_000 });
  const stuck = await lab.worker('p-stuck', { DELIVERY_MODE: 'credit', PREFETCH: 1, PROCESSING_DELAY_MS: 60_000 });
  await waitFor('the doomed and stuck workers to hold messages', async () => {
    const stats = await lab.admin.stats();
    return stats.workers.filter((w) => ['p-doomed', 'p-stuck'].includes(w.workerId) && Number(w.inFlight) > 0).length === 2 ? true : undefined;
  });
  const targets = [lab.sidecar.metricsPort, ...workers.map((w) => w.metricsPort), stuck.metricsPort];
  for (const port of targets) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const s of parseMetrics(text)) exported.add(s.name);
  }
  dataDir = mkdtempSync(join(tmpdir(), 'prom-'));
  const config = join(dataDir, 'prometheus.yml');
  writeFileSync(config, [
    'global:',
    `  scrape_interval: ${SCRAPE_INTERVAL}`,
    `  evaluation_interval: ${SCRAPE_INTERVAL}`,
    'rule_files:',
    `  - ${JSON.stringify(join(REPO_ROOT, 'deploy/prometheus/rules/*.rules.yml'))}`,
    'scrape_configs:',
    '  - job_name: sidecar',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${lab.sidecar.metricsPort}']`,
    '  - job_name: worker',
    '    static_configs:',
    `      - targets: [${targets.slice(1).map((p) => `'127.0.0.1:${p}'`).join(', ')}]`,
    '',
  ].join('\n'));
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  // A missing binary fails here (spawn error) rather than skipping: make test installs it.
  prometheus = spawn('prometheus', [
    `--config.file=${config}`, `--storage.tsdb.path=${join(dataDir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=exemplar-storage',
  ], { stdio: 'ignore' });
  const spawnError = new Promise<never>((_, reject) => prometheus.once('error', (e) => { reject(new Error(`prometheus is required (Debian package prometheus): ${e.message}`)); }));
  await Promise.race([spawnError, waitFor('Prometheus ready', async () => ((await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok ? true : undefined), 30_000)]);
  // Enough scrapes for rate() over the dashboards' 20 s windows.
  await waitFor('20 s of samples', async () => {
    const r = await query('count_over_time(up{job="sidecar"}[30s])');
    const value = (r.data?.result[0] as { value?: [number, string] } | undefined)?.value?.[1];
    return Number(value ?? 0) >= 10 ? true : undefined;
  }, 60_000, 500);
  // A worker dies while Prometheus watches: lost messages, and the worker count changes.
  await doomed.kill();
  await waitFor('8 s more of samples', async () => {
    const r = await query('count_over_time(up{job="sidecar"}[30s])');
    const value = (r.data?.result[0] as { value?: [number, string] } | undefined)?.value?.[1];
    return Number(value ?? 0) >= 14 ? true : undefined;
  }, 60_000, 500);
}

after(async () => {
  prometheus.kill('SIGKILL');
  await receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
});

await setUp();

const isExported = (name: string): boolean => exported.has(name) || exported.has(`${name.replace(/_(bucket|sum|count)$/, '')}_bucket`);

test('every dashboard and autoscaler query names only metrics the running services export, or awaited ones', () => {
  const queries = [...allDashboardQueries().map((q) => ({ where: `${q.dashboard} / ${q.where}`, promql: q.promql })), ...autoscalerQueries()];
  for (const q of queries) {
    for (const name of metricNames(q.promql)) {
      assert.ok(isExported(name) || PROMETHEUS_SERIES.has(name) || name in AWAITED_METRICS, `${q.where}: ${name} is not exported`);
    }
  }
});

test('the awaited metrics the services already export are named (they can leave awaited-metrics.ts)', (t) => {
  const arrived = Object.keys(AWAITED_METRICS).filter(isExported);
  if (arrived.length > 0) t.diagnostic(`now exported, so checked like any other: ${arrived.join(', ')}`);
  assert.ok(Object.keys(AWAITED_METRICS).every((name) => !PROMETHEUS_SERIES.has(name)));
});

/**
 * Evaluates until there is data, for a few seconds: on a busy machine one
 * scrape can miss its 2 s deadline, and Prometheus then marks the target's
 * series stale until the next one.
 */
async function evaluate(promql: string, range: boolean): Promise<QueryResult> {
  let last: QueryResult;
  const deadline = Date.now() + 15_000;
  do {
    last = range ? await queryRange(promql) : await query(promql);
    if (last.status !== 'success' || (last.data?.result.length ?? 0) > 0) return last;
    await new Promise((r) => setTimeout(r, 500));
  } while (Date.now() < deadline);
  return last;
}

test('every dashboard query returns data from a real Prometheus scraping a running lab', async (t) => {
  const empty: string[] = [];
  const awaiting: string[] = [];
  for (const q of allDashboardQueries()) {
    const range = q.where.startsWith('annotation:');
    const missing = missingAwaited(q.promql, exported);
    // A query that names a metric nobody exports gets no retries: no later scrape brings it.
    const r = missing.length > 0 ? await (range ? queryRange(q.promql) : query(q.promql)) : await evaluate(q.promql, range);
    assert.equal(r.status, 'success', `${q.dashboard} / ${q.where}: ${r.error ?? ''}`);
    if ((r.data?.result.length ?? 0) > 0) continue;
    if (missing.length > 0) awaiting.push(`${q.dashboard} / ${q.where} [${q.refId}] awaits ${missing.join(', ')}`);
    else empty.push(`${q.dashboard} / ${q.where} [${q.refId}]: ${q.promql}`);
  }
  for (const line of awaiting) t.diagnostic(line);
  assert.deepEqual(empty, []);
});

test('every autoscaler query returns exactly one number, as KEDA and prometheus-adapter need', async () => {
  for (const q of autoscalerQueries()) {
    const r = await evaluate(q.promql, false);
    assert.equal(r.status, 'success', `${q.where}: ${r.error ?? ''}`);
    assert.equal(r.data?.result.length, 1, `${q.where}: ${JSON.stringify(r.data?.result)}`);
  }
});

interface RulesResponse { status: string; data: { groups: { rules: { name: string; health: string; lastError?: string; type: string }[] }[] } }

test('the alert rules load into a real Prometheus and evaluate against the running lab without errors', async () => {
  // Every rule has been evaluated once Prometheus has run a few evaluation intervals, which the before() hook waited for.
  const body = await (await fetch(`${promUrl}/api/v1/rules`)).json() as RulesResponse;
  assert.equal(body.status, 'success');
  const rules = body.data.groups.flatMap((group) => group.rules);
  const expected = [...readFileSync(join(REPO_ROOT, 'deploy/prometheus/rules/backlog-lab.rules.yml'), 'utf8').matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]);
  assert.deepEqual(rules.map((rule) => rule.name).sort(), [...expected].sort());
  for (const rule of rules) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError ?? rule.health}`);
});

test('MessagesLost fires for the stream worker that was killed holding messages', async () => {
  const r = await evaluate('ALERTS{alertname="MessagesLost", alertstate="firing"}', false);
  const workers = (r.data?.result ?? []).map((item) => (item as { metric: Record<string, string> }).metric.worker_id);
  assert.ok(workers.includes('p-doomed'), `firing for: ${JSON.stringify(workers)}`);
});

test('every PromQL example in docs/telemetry.md returns data', async () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs/telemetry.md'), 'utf8');
  const examples = [...doc.matchAll(/```promql\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').trim());
  assert.ok(examples.length >= 5);
  for (const promql of examples) {
    const r = await evaluate(promql, false);
    assert.equal(r.status, 'success', `${promql}: ${r.error ?? ''}`);
    assert.ok((r.data?.result.length ?? 0) > 0, `no data: ${promql}`);
  }
});

test('exemplars reach Prometheus with the trace id', async () => {
  const response = await fetch(`${promUrl}/api/v1/query_exemplars?query=${encodeURIComponent('worker_client_backlog_seconds_bucket')}&start=${Date.now() / 1000 - 120}&end=${Date.now() / 1000}`);
  const body = await response.json() as { status: string; data: { exemplars: { labels: Record<string, string> }[] }[] };
  assert.equal(body.status, 'success');
  const traceIds = body.data.flatMap((series) => series.exemplars.map((e) => e.labels.trace_id));
  assert.ok(traceIds.length > 0, 'no exemplars stored');
  assert.ok(traceIds.every((id) => /^[0-9a-f]{32}$/.test(id ?? '')));
});
