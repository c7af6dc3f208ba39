/**
 * The broker's view in the telemetry, live: a real RabbitMQ (the harness's
 * node, with its Prometheus plugin), two sidecars consuming one of its queues
 * with a stuck credit worker each, and a real Prometheus (Debian's package)
 * scraping the sidecars and the broker the way deploy/prometheus/prometheus.yml
 * scrapes RabbitMQ (its rabbitmq job's path and parameters, static targets
 * for the ports this test got). The state holds still, so every query of the
 * dashboards' "what the broker sees" row, and the autoscalers' query, must
 * return data and the numbers must agree: what the broker reports, what the
 * sidecars report of it, and where the messages are.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { waitFor, workerStats } from '@backlog-lab/harness/admin-client';
import { freePort } from '@backlog-lab/harness/free-port';
import { startRabbitMq, type RabbitMqServer } from '@backlog-lab/harness/rabbitmq-server';
import { REPO_ROOT } from '@backlog-lab/harness/repo';
import { startInProcessLab, num, type InProcessLab } from '../support/in-process-lab.ts';
import { rabbitEnv, untilBroker, untilConsuming } from '../support/rabbitmq-lab.ts';
import { autoscalerQueries } from './autoscalers.ts';
import { allDashboardQueries, metricNames } from './dashboards.ts';
import { asArray, asRecord, type JsonRecord } from './tools.ts';

const QUEUE_NAME = 'live-broker-view';
/** Each sidecar's prefetch upstream, and its stuck worker's credit. */
const PREFETCHES = [20, 30] as const;
const WORKER_PREFETCH = 5;
const PUBLISHED = 200;

let broker: RabbitMqServer;
let prometheus: ChildProcess | undefined;
let promUrl = '';
let dataDir = '';
const labs: InProcessLab[] = [];

interface Vector { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } }

async function query(promql: string): Promise<Vector> {
  return await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`)).json() as Vector;
}

/** The single value of an instant query, once it has one. */
async function valueOf(promql: string): Promise<number> {
  return waitFor(`a value for ${promql}`, async () => {
    const r = await query(promql);
    const value = r.data?.result[0]?.value[1];
    return value === undefined ? undefined : Number(value);
  }, 30_000, 500);
}

/** The rabbitmq job of the compose Prometheus config, pointed at this node's plugin port. */
function rabbitmqJob(port: number): JsonRecord {
  const config = asRecord(parseYaml(readFileSync(join(REPO_ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as unknown, 'prometheus.yml');
  const job = asArray(config.scrape_configs, 'scrape_configs').map((j) => asRecord(j, 'job')).find((j) => j.job_name === 'rabbitmq');
  assert.ok(job, 'deploy/prometheus/prometheus.yml has no rabbitmq job');
  const { dns_sd_configs: _discovery, ...rest } = job;
  return { ...rest, static_configs: [{ targets: [`127.0.0.1:${port}`] }] };
}

/** Called at the top level: an after() registered in a before() hook would run as soon as the hook ends. */
async function setUp(): Promise<void> {
  broker = await startRabbitMq();
  for (const prefetch of PREFETCHES) {
    const lab = await startInProcessLab(rabbitEnv(broker, QUEUE_NAME, { QUEUE_PREFETCH: prefetch }));
    await untilConsuming(lab.admin);
    labs.push(lab);
  }
  // Workers that take their credit's worth and never finish one: nothing moves while Prometheus watches.
  for (const [i, lab] of labs.entries()) await lab.worker(`stuck-${i + 1}`, { DELIVERY_MODE: 'credit', PREFETCH: WORKER_PREFETCH, PROCESSING_DELAY_MS: 600_000, WORKER_DRAIN_MS: 200 });
  await labs[0]?.admin.publishMany(PUBLISHED, { idPrefix: 'live' });
  const held = PREFETCHES.reduce((n, p) => n + p, 0);
  await untilBroker(broker, QUEUE_NAME, `${PUBLISHED - held} ready, ${held} unacked`, (c) => c.ready === PUBLISHED - held && c.unacked === held, 30_000);

  dataDir = mkdtempSync(join(tmpdir(), 'prom-rabbitmq-'));
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    scrape_configs: [
      { job_name: 'sidecar', static_configs: [{ targets: labs.map((l) => `127.0.0.1:${l.metricsPort}`) }] },
      rabbitmqJob(broker.prometheusPort),
    ],
  };
  writeFileSync(join(dataDir, 'prometheus.yml'), JSON.stringify(config));
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  const proc = spawn('prometheus', [`--config.file=${join(dataDir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dataDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  prometheus = proc;
  const spawnError = new Promise<never>((_, reject) => proc.once('error', (e) => { reject(new Error(`prometheus is required (Debian package prometheus): ${e.message}`)); }));
  await Promise.race([spawnError, waitFor('Prometheus ready', async () => ((await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok ? true : undefined), 30_000)]);
  // The broker's plugin refreshes its queue counts every collect interval (500 ms in the harness's node).
  const targets = String(labs.length + 1);
  await waitFor('every sidecar and the broker scraped', async () => ((await query('count(up == 1)')).data?.result[0]?.value[1] === targets ? true : undefined), 30_000, 500);
}

after(async () => {
  prometheus?.kill('SIGKILL');
  await broker.stop();
  if (dataDir !== '') rmSync(dataDir, { recursive: true, force: true });
});

await setUp();

const held = PREFETCHES.reduce((n, p) => n + p, 0);

test('RabbitMQ\'s Prometheus plugin, scraped as deploy/prometheus/prometheus.yml does, reports the queue\'s ready and unacked', async () => {
  assert.equal(await valueOf(`sum(rabbitmq_detailed_queue_messages_ready{queue="${QUEUE_NAME}"})`), PUBLISHED - held);
  assert.equal(await valueOf(`sum(rabbitmq_detailed_queue_messages_unacked{queue="${QUEUE_NAME}"})`), held);
});

test('the sidecars\' own gauges agree with the broker: the ready count they saw, and together what the broker counts unacked', async () => {
  assert.equal(await valueOf('max(sidecar_upstream_ready_messages{queue="rabbitmq"})'), PUBLISHED - held);
  assert.equal(await valueOf('sum(sidecar_upstream_unacked_messages{queue="rabbitmq"})'), held);
  // Per sidecar: its prefetch, its worker's credit in flight and the rest in its buffer.
  for (const [i, lab] of labs.entries()) {
    const stats = await lab.admin.stats();
    assert.equal(num(stats.upstream?.unacked), PREFETCHES[i]);
    assert.equal(num(workerStats(stats, `stuck-${i + 1}`).inFlight), WORKER_PREFETCH);
  }
});

test('every query of the "what the broker sees" row, and the autoscalers\' query, returns data from a real broker', async () => {
  const broker = allDashboardQueries().filter((q) => metricNames(q.promql).some((m) => m.startsWith('rabbitmq_') || m.startsWith('sidecar_upstream_')));
  assert.ok(broker.length >= 5, `only ${broker.length} queries name the broker's metrics`);
  for (const q of [...broker, ...autoscalerQueries().map((a) => ({ where: a.where, promql: a.promql }))]) {
    const r = await waitFor(`data for ${q.where}`, async () => {
      const got = await query(q.promql);
      return got.status !== 'success' || (got.data?.result.length ?? 0) > 0 ? got : undefined;
    }, 20_000, 500);
    assert.equal(r.status, 'success', `${q.where}: ${r.error ?? ''}`);
  }
});

test('the autoscalers\' "not yet settled" count is every published message once: sidecar buffers + in flight + the broker\'s ready', async () => {
  const query = autoscalerQueries().find((q) => q.promql.includes('sidecar_upstream_ready_messages'));
  assert.ok(query, 'no autoscaler query reads the broker\'s ready count');
  assert.equal(await valueOf(query.promql), PUBLISHED);
  // And the broker's own HTTP view (KEDA's rabbitmq scaler by default) counts the same messages: ready + unacked.
  assert.equal(await valueOf(`sum(rabbitmq_detailed_queue_messages_ready{queue="${QUEUE_NAME}"}) + sum(rabbitmq_detailed_queue_messages_unacked{queue="${QUEUE_NAME}"})`), PUBLISHED);
});
