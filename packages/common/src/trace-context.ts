/**
 * Per-message trace helpers shared by both services. A message's trace
 * context travels in Delivery.trace_context as W3C `traceparent`, injected and
 * extracted with the globally registered propagator, so the app never needs
 * to know whether tracing is on: with no SDK the API is a no-op. Where the
 * lab's default propagators are installed, the hot path writes and reads the
 * header itself, exactly as they would (injectSpanInto, isUnsampledTraceParent).
 */
import { context, isSpanContextValid, propagation, trace, TraceFlags, type Context, type Span } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { formatTraceParent, isLabPropagation, parseTraceParent } from './trace-propagator.ts';

export const MESSAGING_SYSTEM = 'backlog-lab';
export const DESTINATION_NAME = 'backlog.v1.Queue';

export function extractFrom(carrier: Record<string, string>): Context {
  return propagation.extract(context.active(), carrier);
}

/**
 * Writes `span`'s context into a message's carrier: what the
 * propagators write for `trace.setSpan(active, span)`, without
 * a context and the propagators' round per message when the lab's default
 * propagators are installed and the active context carries no baggage (then
 * the trace context is all they would write). Otherwise, through the API.
 */
export function injectSpanInto(carrier: Record<string, string>, span: Span, active: Context = context.active(), labPropagation = isLabPropagation()): void {
  if (!labPropagation || propagation.getBaggage(active) !== undefined || isTracingSuppressed(active)) {
    propagation.inject(trace.setSpan(active, span), carrier);
    return;
  }
  // A no-op tracer's span has the invalid context: nothing to write, as the propagator would.
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return;
  carrier.traceparent = formatTraceParent(sc);
  if (sc.traceState) carrier.tracestate = sc.traceState.serialize();
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
  return sc !== undefined && sc.isRemote === true && (sc.traceFlags & TraceFlags.SAMPLED) === 0 && isSpanContextValid(sc);
}

/**
 * The same rule read straight from a message's carrier, without extracting
 * a context: true when its `traceparent` is a valid one whose sampled flag
 * is off, the lab's default propagators are installed (so that header is
 * the whole trace context) and the sampler follows the parent. False means
 * only "extract and ask isUnsampledRemoteParent".
 */
export function isUnsampledTraceParent(carrier: Readonly<Record<string, string>>, follows = FOLLOWS_UNSAMPLED_PARENT, labPropagation = isLabPropagation()): boolean {
  if (!follows || !labPropagation) return false;
  const header = carrier.traceparent;
  if (header === undefined) return false;
  const parsed = parseTraceParent(header);
  return parsed !== null && (parsed.traceFlags & TraceFlags.SAMPLED) === 0;
}

/** The span's trace id when it is sampled (an exemplar must point at a stored trace). */
export function sampledTraceId(span: Span): string | undefined {
  const sc = span.spanContext();
  return (sc.traceFlags & TraceFlags.SAMPLED) !== 0 ? sc.traceId : undefined;
}

export { trace, context };
