/**
 * W3C Trace Context (`traceparent`, `tracestate`) without the regular
 * expression: the same rules as @opentelemetry/core's
 * W3CTraceContextPropagator, checked character by character. Every message
 * carries a traceparent, and the library's regex was the largest single cost
 * of a worker's per-message telemetry (docs/benchmarks.md); this one is the
 * SDK's propagator whenever OTEL_PROPAGATORS does not choose another.
 */
import { isSpanContextValid, trace, TraceFlags, type Context, type SpanContext, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import { isTracingSuppressed, TraceState } from '@opentelemetry/core';

const TRACE_PARENT = 'traceparent';
const TRACE_STATE = 'tracestate';

function isLowerHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function allZero(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (s.charCodeAt(i) !== 48) return false;
  return true;
}

/** A traceparent's trace id, span id and flags, or null if it is not a valid one. */
export function parseTraceParent(header: string): Pick<SpanContext, 'traceId' | 'spanId' | 'traceFlags'> | null {
  // The library allows one space on either side.
  let s = header;
  if (s.startsWith(' ')) s = s.slice(1);
  if (s.endsWith(' ')) s = s.slice(0, -1);
  // version(2) - trace id(32) - span id(16) - flags(2) [- future fields, not in version 00]
  if (s.length < 55 || s.charCodeAt(2) !== 45 || s.charCodeAt(35) !== 45 || s.charCodeAt(52) !== 45) return null;
  if (!isLowerHex(s, 0, 2) || s.startsWith('ff')) return null;
  if (!isLowerHex(s, 3, 35) || allZero(s, 3, 35)) return null;
  if (!isLowerHex(s, 36, 52) || allZero(s, 36, 52)) return null;
  if (!isLowerHex(s, 53, 55)) return null;
  if (s.length > 55 && (s.charCodeAt(55) !== 45 || s.startsWith('00'))) return null;
  return { traceId: s.slice(3, 35), spanId: s.slice(36, 52), traceFlags: Number.parseInt(s.slice(53, 55), 16) };
}

/** A span context's `traceparent` header (version 00), as the library's propagator writes it. */
export function formatTraceParent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags || TraceFlags.NONE).toString(16)}`;
}

export class FastW3CTraceContextPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(context);
    if (!sc || isTracingSuppressed(context) || !isSpanContextValid(sc)) return;
    setter.set(carrier, TRACE_PARENT, formatTraceParent(sc));
    if (sc.traceState) setter.set(carrier, TRACE_STATE, sc.traceState.serialize());
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = getter.get(carrier, TRACE_PARENT);
    const traceParent = Array.isArray(header) ? header[0] : header;
    if (typeof traceParent !== 'string' || traceParent === '') return context;
    const parsed = parseTraceParent(traceParent);
    if (!parsed) return context;
    const spanContext: SpanContext = { ...parsed, isRemote: true };
    const state = getter.get(carrier, TRACE_STATE);
    if (state) {
      const joined = Array.isArray(state) ? state.join(',') : state;
      spanContext.traceState = new TraceState(typeof joined === 'string' ? joined : undefined);
    }
    return trace.setSpanContext(context, spanContext);
  }

  fields(): string[] {
    return [TRACE_PARENT, TRACE_STATE];
  }
}

/**
 * Whether the process's global propagator is the lab's default (this trace
 * context plus W3C baggage), as telemetry-sdk.ts installs it when
 * OTEL_PROPAGATORS is not set. Only then may per-message code read and write
 * `traceparent` itself instead of going through the propagation API; with
 * other propagators, or with no SDK at all, it must not.
 */
let labPropagation = false;

/** Called by telemetry-sdk.ts once the SDK has registered the lab's default propagator. */
export function markLabPropagation(): void {
  labPropagation = true;
}

export function isLabPropagation(): boolean {
  return labPropagation;
}
