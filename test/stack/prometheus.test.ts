/** The Prometheus configs for docker compose and Kubernetes, checked by promtool. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ROOT, asArray, asRecord, asString, runToolOk, type JsonRecord } from './tools.ts';

const CONFIGS = ['deploy/prometheus/prometheus.yml', 'deploy/k8s/prometheus.yml'];
const COMPOSE_CONFIG = 'deploy/prometheus/prometheus.yml';

function scrapeJobs(config: string): JsonRecord[] {
  const parsed = asRecord(parseYaml(readFileSync(path.join(ROOT, config), 'utf8')) as unknown, config);
  return asArray(parsed.scrape_configs, 'scrape_configs').map((job, index) => asRecord(job, `scrape_configs[${index}]`));
}

for (const config of CONFIGS) {
  test(`promtool accepts ${config}`, () => {
    runToolOk('promtool', ['check', 'config', path.join(ROOT, config)]);
  });

  test(`${config} finds every worker replica by DNS A records, refreshed within 5 s`, () => {
    const jobs = scrapeJobs(config);
    const worker = jobs.find((job) => job.job_name === 'worker');
    assert.ok(worker, 'no job named worker (the dashboards use job="worker")');
    const [discovery] = asArray(worker.dns_sd_configs, 'worker dns_sd_configs').map((item) => asRecord(item, 'dns_sd_config'));
    assert.ok(discovery);
    // SRV is the default and finds nothing in Docker's DNS or for a headless Service's plain name.
    assert.equal(discovery.type, 'A');
    assert.equal(discovery.port, 9464);
    assert.ok(/^[1-5]s$/.test(asString(discovery.refresh_interval, 'refresh_interval')), 'new workers must appear within 15 s');
    assert.ok(jobs.some((job) => job.job_name === 'sidecar'), 'no job named sidecar');
  });

  test(`${config} scrapes RabbitMQ's per-queue counts when a RabbitMQ runs, found by DNS so that none means no target`, () => {
    const rabbitmq = scrapeJobs(config).find((job) => job.job_name === 'rabbitmq');
    assert.ok(rabbitmq, 'no job named rabbitmq (the broker panels use job="rabbitmq")');
    assert.equal(rabbitmq.static_configs, undefined, 'a static target would be down whenever RabbitMQ is not running');
    const [discovery] = asArray(rabbitmq.dns_sd_configs, 'rabbitmq dns_sd_configs').map((item) => asRecord(item, 'dns_sd_config'));
    assert.ok(discovery);
    assert.deepEqual(discovery.names, ['rabbitmq']);
    assert.equal(discovery.type, 'A');
    assert.equal(discovery.port, 15692, "the rabbitmq_prometheus plugin's port");
    // Per-queue ready and unacked counts: rabbitmq_detailed_queue_messages_ready / _unacked.
    assert.equal(rabbitmq.metrics_path, '/metrics/detailed');
    const families = asArray(asRecord(rabbitmq.params, 'rabbitmq params').family, 'family');
    assert.ok(families.includes('queue_coarse_metrics'), 'queue_coarse_metrics has the ready and unacked counts');
  });
}

test('compose and Kubernetes scrape RabbitMQ the same way', () => {
  const [compose, k8s] = CONFIGS.map((config) => scrapeJobs(config).find((job) => job.job_name === 'rabbitmq'));
  assert.deepEqual(k8s, compose);
});

test('the compose config loads every alert rules file, and none of their unit tests', () => {
  const output = runToolOk('promtool', ['check', 'config', path.join(ROOT, COMPOSE_CONFIG)]);
  const rulesDir = path.join(ROOT, 'deploy/prometheus/rules');
  const files = readdirSync(rulesDir).sort();
  const rules = files.filter((name) => name.endsWith('.rules.yml'));
  assert.ok(rules.length > 0);
  // promtool checks each rule file rule_files matched, naming it.
  for (const name of rules) assert.ok(output.includes(`Checking ${path.join(rulesDir, name)}`), `${name} is not loaded:\n${output}`);
  for (const name of files.filter((file) => file.endsWith('.test.yml'))) assert.ok(!output.includes(name), `${name} (a unit test file) matches rule_files`);
});
