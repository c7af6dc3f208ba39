/**
 * Serves a prom-client registry on GET /metrics. The registry is set to the
 * OpenMetrics content type, the only format that carries exemplars, so a slow
 * histogram bucket links to the trace of a message that landed in it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, type OpenMetricsContentType } from 'prom-client';

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

export function createRegistry(): MetricsRegistry {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

export function createMetricsServer(registry: MetricsRegistry, port: number, host = '0.0.0.0'): MetricsServer {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => { res.writeHead(200, { 'content-type': registry.contentType }).end(body); },
      (error: unknown) => { res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`); },
    );
  });
  return {
    start: () => new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    }),
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => { resolve(); });
    }),
  };
}
