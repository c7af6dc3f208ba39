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

/**
 * Samplers under which a span whose remote parent was not sampled records
 * nothing: every `parentbased_*` one, `always_off`, and the SDK's default
 * (an unset, blank or unknown OTEL_TRACES_SAMPLER is parentbased_always_on).
 * Only `always_on` and `traceidratio` decide afresh under such a parent.
 */
export function followsUnsampledParent(sampler: string | undefined): boolean {
  return sampler !== 'always_on' && sampler !== 'traceidratio';
}

/** This process's sampler, as the SDK reads it (once, at start). */
const FOLLOWS_UNSAMPLED_PARENT = followsUnsampledParent(process.env.OTEL_TRACES_SAMPLER?.trim() === '' ? undefined : process.env.OTEL_TRACES_SAMPLER);

/**
 * True when `ctx` holds a valid remote span context that was not sampled and
 * the tracer's sampler follows it: then every span started under it would
 * record nothing, so a caller may skip starting them. Whatever the answer,
 * every span that would be kept is still started.
 */
export function isUnsampledRemoteParent(ctx: Context, follows = FOLLOWS_UNSAMPLED_PARENT): boolean {
  if (!follows) return false;
  const sc = trace.getSpanContext(ctx);
  return sc !== undefined && sc.isRemote === true && (sc.traceFlags & TraceFlags.SAMPLED) === 0 && trace.isSpanContextValid(sc);
}

/** The span's trace id when it is sampled (an exemplar must point at a stored trace). */
export function sampledTraceId(span: Span): string | undefined {
  const sc = span.spanContext();
  return (sc.traceFlags & TraceFlags.SAMPLED) !== 0 ? sc.traceId : undefined;
}

export { trace, context };
