/**
 * Per-message trace helpers shared by both services. A message's trace
 * context travels in Delivery.trace_context as W3C `traceparent`, injected and
 * extracted with the globally registered propagator, so the app never needs
 * to know whether tracing is on: with no SDK the API is a no-op.
 */
import { context, propagation, trace, TraceFlags, type Context, type Span } from '@opentelemetry/api';

export const MESSAGING_SYSTEM = 'backlog-lab';
export const DESTINATION_NAME = 'backlog.v1.Queue';

export function injectInto(carrier: Record<string, string>, ctx: Context): void {
  propagation.inject(ctx, carrier);
}

export function extractFrom(carrier: Record<string, string>): Context {
  return propagation.extract(context.active(), carrier);
}

/** The span's trace id when it is sampled (an exemplar must point at a stored trace). */
export function sampledTraceId(span: Span): string | undefined {
  const sc = span.spanContext();
  return (sc.traceFlags & TraceFlags.SAMPLED) !== 0 ? sc.traceId : undefined;
}

export { trace, context };
