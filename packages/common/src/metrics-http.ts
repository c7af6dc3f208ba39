/**
 * Serves a prom-client registry on GET /metrics, negotiating the format the
 * way Prometheus expects: OpenMetrics (the only format that carries
 * exemplars, so a slow histogram bucket links to the trace of a message that
 * landed in it) when the scraper asks for it, as Prometheus does, and the
 * classic text format 0.0.4 otherwise (curl, promtool).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics, type OpenMetricsContentType } from 'prom-client';

export interface MetricsServer {
  /** Resolves to the port actually bound (useful with port 0). */
  start(): Promise<number>;
  stop(): Promise<void>;
}

/** Buckets from 1 ms to 500 s: a stream backlog reaches minutes. */
export const LATENCY_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500,
];

export type MetricsRegistry = Registry<OpenMetricsContentType>;

/**
 * Exemplar labels for an observation. prom-client types them with the
 * metric's own label names; an exemplar's labels are separate (trace_id), so
 * the cast is where that typing gap is bridged, once.
 */
export function traceExemplar<T extends string>(traceId: string | undefined): Partial<Record<T, string>> {
  return (traceId === undefined ? {} : { trace_id: traceId }) as Partial<Record<T, string>>;
}

/**
 * prom-client's default metrics that are gauges named `_total`, which breaks
 * Prometheus naming rules (promtool flags them); the same numbers are exported
 * without the suffix (nodejs_active_handles, ...).
 */
const MISNAMED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** A registry in OpenMetrics mode with the default process and Node.js metrics. */
export function createRegistry(): MetricsRegistry {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  return registry;
}

/**
 * Classic Prometheus text (0.0.4) from prom-client's OpenMetrics output:
 * counters are named with `_total` in their HELP/TYPE lines, exemplars and
 * the EOF marker are dropped. prom-client renders one registry in one format
 * only (and renames counters in place when it renders OpenMetrics), so the
 * text form is derived rather than rendered twice.
 */
export function openMetricsToText(openMetrics: string): string {
  const counters = new Set<string>();
  const out: string[] = [];
  for (const line of openMetrics.split('\n')) {
    if (line === '# EOF' || line === '') continue;
    const type = /^# TYPE (\S+) counter$/.exec(line);
    if (type?.[1] !== undefined) {
      counters.add(type[1]);
      out.push(`# TYPE ${type[1]}_total counter`);
      continue;
    }
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    if (help?.[1] !== undefined) {
      out.push(line);
      continue;
    }
    const exemplarAt = line.indexOf(' # {');
    out.push(exemplarAt >= 0 ? line.slice(0, exemplarAt) : line);
  }
  // HELP precedes TYPE, so counters' HELP lines are renamed in a second pass.
  return out.map((line) => {
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    return help?.[1] !== undefined && counters.has(help[1]) ? `# HELP ${help[1]}_total ${help[2] ?? ''}` : line;
  }).join('\n') + '\n';
}

function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept?.includes('application/openmetrics-text') ?? false;
}

export function createMetricsServer(registry: MetricsRegistry, port: number, host = '0.0.0.0'): MetricsServer {
  const server: Server = createServer((req, res) => {
    // Exactly GET /metrics: nothing else is served, whatever the query string.
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
      return;
    }
    const openMetrics = wantsOpenMetrics(req.headers.accept);
    registry.metrics().then(
      (body) => {
        if (openMetrics) res.writeHead(200, { 'content-type': registry.contentType }).end(body);
        else res.writeHead(200, { 'content-type': Registry.PROMETHEUS_CONTENT_TYPE }).end(openMetricsToText(body));
      },
      (error: unknown) => { res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`); },
    );
  });
  return {
    start: () => new Promise((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(error.code === 'EADDRINUSE' ? new Error(`metrics port ${port} on ${host} is already in use`) : error);
      });
      server.listen(port, host, () => {
        server.removeAllListeners('error');
        resolve((server.address() as AddressInfo).port);
      });
    }),
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => { resolve(); });
    }),
  };
}
