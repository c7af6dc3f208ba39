/**
 * A real Prometheus (Debian's package) for the tests: its own config, data
 * directory and free port, scraping the targets given, stopped and removed
 * afterwards. The stack's own tests use it to run every dashboard and
 * example query against a running lab.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './admin-client.ts';
import { freePort } from './free-port.ts';

export interface ScrapeJob {
  readonly name: string;
  readonly targets: readonly string[];
}

export interface QueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] };
}

export interface PrometheusServer {
  readonly url: string;
  query(promql: string): Promise<QueryResult>;
  /** Over the last `seconds`, one point a second. */
  queryRange(promql: string, seconds?: number): Promise<QueryResult>;
  /** The single number a query returns (the first series), or undefined. */
  value(promql: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  readonly jobs: readonly ScrapeJob[];
  readonly scrapeInterval?: string;
  /** Rule files to load (absolute paths). */
  readonly ruleFiles?: readonly string[];
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const interval = options.scrapeInterval ?? '2s';
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    ...(options.ruleFiles && options.ruleFiles.length > 0 ? ['rule_files:', ...options.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
    'scrape_configs:',
    ...options.jobs.flatMap((job) => [
      `  - job_name: ${job.name}`,
      '    static_configs:',
      `      - targets: [${job.targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    ]),
    '',
  ].join('\n'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('prometheus', [
    `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=exemplar-storage',
  ], { stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => { reject(new Error(`prometheus is required (Debian package prometheus): ${e.message}`)); }));
  try {
    await Promise.race([spawnError, waitFor('Prometheus ready', async () => ((await fetch(`${url}/-/ready`).catch(() => undefined))?.ok ? true : undefined), 30_000)]);
  } catch (error) {
    await stop();
    throw error;
  }
  const query = async (promql: string): Promise<QueryResult> => await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`)).json() as QueryResult;
  return {
    url,
    query,
    async queryRange(promql, seconds = 60) {
      const end = Date.now() / 1000;
      return await (await fetch(`${url}/api/v1/query_range?query=${encodeURIComponent(promql)}&start=${end - seconds}&end=${end}&step=1`)).json() as QueryResult;
    },
    async value(promql) {
      const r = await query(promql);
      const v = r.data?.result[0]?.value?.[1];
      return v === undefined ? undefined : Number(v);
    },
    stop,
  };
}
