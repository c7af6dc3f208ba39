/**
 * Metrics the dashboards, alert rules and autoscalers read that a lab started
 * by the tests does not export: RabbitMQ's own, scraped only when a RabbitMQ
 * runs behind the sidecar. This is the integrator's list of what is
 * expected: test/stack/live-prometheus.test.ts lets a dashboard query return
 * no data only when it names one of these and the running services do not
 * export it. Once a service exports a metric, every query that uses it must
 * return data again, with no change here; the test then says which entries
 * can go.
 */
import { metricNames } from './dashboards.ts';

export const AWAITED_METRICS: Readonly<Record<string, string>> = {
  // RabbitMQ's rabbitmq_prometheus plugin, job rabbitmq (/metrics/detailed?family=queue_coarse_metrics), when RabbitMQ runs;
  // live-prometheus-rabbitmq.test.ts scrapes them from a real broker.
  rabbitmq_detailed_queue_messages_ready: 'RabbitMQ 3.10+ {vhost, queue}: messages ready for a consumer',
  rabbitmq_detailed_queue_messages_unacked: 'RabbitMQ 3.10+ {vhost, queue}: messages delivered and not acknowledged',
};

/** Series Prometheus makes itself: never exported by a service. */
export const PROMETHEUS_SERIES: ReadonlySet<string> = new Set(['ALERTS', 'ALERTS_FOR_STATE', 'up']);

/** The awaited metrics a query names that are not among `exported`. */
export function missingAwaited(promql: string, exported: ReadonlySet<string>): string[] {
  return metricNames(promql).filter((name) => name in AWAITED_METRICS && !exported.has(name));
}
