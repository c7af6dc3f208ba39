/** The Prometheus configs for docker compose and Kubernetes, checked by promtool. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ROOT, asArray, asRecord, asString, runToolOk } from './tools.ts';

const CONFIGS = ['deploy/prometheus/prometheus.yml', 'deploy/k8s/prometheus.yml'];

for (const config of CONFIGS) {
  test(`promtool accepts ${config}`, () => {
    runToolOk('promtool', ['check', 'config', path.join(ROOT, config)]);
  });

  test(`${config} finds every worker replica by DNS A records, refreshed within 5 s`, () => {
    const parsed = asRecord(parseYaml(readFileSync(path.join(ROOT, config), 'utf8')) as unknown, config);
    const jobs = asArray(parsed.scrape_configs, 'scrape_configs').map((job, index) => asRecord(job, `scrape_configs[${index}]`));
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
}
