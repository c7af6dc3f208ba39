/**
 * Metrics the dashboards, alert rules and autoscalers read that a lab started
 * by the tests does not export (yet): new gauges the services are being
 * changed to export (issue #14), and RabbitMQ's own, scraped only when a
 * RabbitMQ runs behind the sidecar. This is the integrator's list of what is
 * expected: test/stack/live-prometheus.test.ts lets a dashboard query return
 * no data only when it names one of these and the running services do not
 * export it. Once a service exports a metric, every query that uses it must
 * return data again, with no change here; the test then says which entries
 * can go.
 */
import { metricNames } from './dashboards.ts';

export const AWAITED_METRICS: Readonly<Record<string, string>> = {
  // Sidecar (issue #14).
  sidecar_queue_oldest_message_age_seconds: 'sidecar gauge: now minus the publish time of the oldest message in its queue; 0 when empty',
  sidecar_in_flight_oldest_message_age_seconds: 'sidecar gauge {mode, worker_id}: now minus the publish time of the oldest message in flight to that worker; 0 when none',
  sidecar_requests_refused_total: 'sidecar counter {reason}: requests refused by a limit (connections, pending_pulls, prefetch, workers, publish_batch)',
  sidecar_upstream_ready_messages: 'sidecar gauge, with a RabbitMQ queue behind it: the broker\'s ready count as the sidecar last saw it',
  sidecar_upstream_unacked_messages: 'sidecar gauge, with a RabbitMQ queue behind it: what this sidecar holds unacked upstream',
  // Worker (issue #14).
  worker_client_backlog_max_seconds: 'worker gauge: the longest client backlog of any message it started in the last 60 s',
  // RabbitMQ's rabbitmq_prometheus plugin, job rabbitmq (/metrics/detailed?family=queue_coarse_metrics), when RabbitMQ runs.
  rabbitmq_detailed_queue_messages_ready: 'RabbitMQ 3.10+ {vhost, queue}: messages ready for a consumer',
  rabbitmq_detailed_queue_messages_unacked: 'RabbitMQ 3.10+ {vhost, queue}: messages delivered and not acknowledged',
};

/** Series Prometheus makes itself: never exported by a service. */
export const PROMETHEUS_SERIES: ReadonlySet<string> = new Set(['ALERTS', 'ALERTS_FOR_STATE', 'up']);

/** The awaited metrics a query names that are not among `exported`. */
export function missingAwaited(promql: string, exported: ReadonlySet<string>): string[] {
  return metricNames(promql).filter((name) => name in AWAITED_METRICS && !exported.has(name));
}
