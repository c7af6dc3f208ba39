import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, defaultTextMapGetter, defaultTextMapSetter, propagation, trace, ROOT_CONTEXT, SpanKind, type Context } from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace';
import { CompositePropagator, parseTraceParent as libraryParse, suppressTracing, TraceState, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { FastW3CTraceContextPropagator, parseTraceParent } from '@backlog-lab/common/trace-propagator';
import { extractFrom, followsUnsampledParent, injectSpanInto, isUnsampledRemoteParent, isUnsampledTraceParent } from '@backlog-lab/common/trace-context';

const T = '0af7651916cd43dd8448eb211c80319c';
const S = 'b7ad6b7169203331';
const inputs = [
  `00-${T}-${S}-01`, `00-${T}-${S}-00`, ` 00-${T}-${S}-01 `, `01-${T}-${S}-01-extra`, `00-${T}-${S}-01-extra`,
  `ff-${T}-${S}-01`, `00-${'0'.repeat(32)}-${S}-01`, `00-${T}-${'0'.repeat(16)}-01`, `00-${T.toUpperCase()}-${S}-01`,
  `00-${T}-${S}-0`, `00-${T}-${S}`, `00_${T}-${S}-01`, `0g-${T}-${S}-01`, `00-${T}-${S}-zz`, '', 'garbage', `00-${T}-${S}-01-`,
];

test('the fast traceparent parser agrees with OpenTelemetry\'s on valid and invalid headers', () => {
  for (const input of inputs) assert.deepEqual(parseTraceParent(input), libraryParse(input), JSON.stringify(input));
});

test('the fast propagator injects and extracts what the library\'s does, trace state included', () => {
  const fast = new FastW3CTraceContextPropagator();
  const library = new W3CTraceContextPropagator();
  const carrier = { traceparent: `00-${T}-${S}-01`, tracestate: 'a=1,b=2' };
  const a = trace.getSpanContext(fast.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter));
  const b = trace.getSpanContext(library.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter));
  assert.ok(a && b);
  assert.deepEqual([a.traceId, a.spanId, a.traceFlags, a.isRemote], [b.traceId, b.spanId, b.traceFlags, true]);
  assert.equal(a.traceState?.serialize(), b.traceState?.serialize());
  const out: Record<string, string> = {};
  fast.inject(trace.setSpanContext(context.active(), { traceId: T, spanId: S, traceFlags: 1 }), out, defaultTextMapSetter);
  assert.deepEqual(out, { traceparent: `00-${T}-${S}-01` });
  assert.equal(trace.getSpanContext(fast.extract(ROOT_CONTEXT, { traceparent: 'nonsense' }, defaultTextMapGetter)), undefined);
});

test('a message is skipped as unsampled exactly when the SDK\'s sampler would record nothing under its parent', () => {
  // The samplers the SDK builds for each OTEL_TRACES_SAMPLER (sdk-node's
  // create-from-env); unset, blank and unknown names get its default.
  const samplers: Record<string, Sampler> = {
    always_on: new AlwaysOnSampler(),
    always_off: new AlwaysOffSampler(),
    traceidratio: new TraceIdRatioBasedSampler(1),
    parentbased_always_on: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    parentbased_always_off: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    parentbased_traceidratio: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(1) }),
    'no such sampler': new ParentBasedSampler({ root: new AlwaysOnSampler() }),
  };
  const remote = (traceFlags: number): Context => trace.setSpanContext(ROOT_CONTEXT, { traceId: T, spanId: S, traceFlags, isRemote: true });
  for (const [name, sampler] of Object.entries(samplers)) {
    const follows = followsUnsampledParent(name);
    const decision = sampler.shouldSample(remote(0), T, 'process', SpanKind.CONSUMER, {}, []).decision;
    assert.equal(follows, decision === SamplingDecision.NOT_RECORD, name);
    assert.equal(isUnsampledRemoteParent(remote(0), follows), follows, name);
    // A sampled parent, a local one, an invalid one or none: never skipped.
    assert.equal(isUnsampledRemoteParent(remote(1), follows), false, name);
    assert.equal(isUnsampledRemoteParent(trace.setSpanContext(ROOT_CONTEXT, { traceId: T, spanId: S, traceFlags: 0 }), follows), false, name);
    assert.equal(isUnsampledRemoteParent(trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: S, traceFlags: 0, isRemote: true }), follows), false, name);
    assert.equal(isUnsampledRemoteParent(ROOT_CONTEXT, follows), false, name);
  }
  assert.equal(followsUnsampledParent(undefined), true);
});

// The propagators telemetry-sdk.ts installs by default, registered for the tests below.
function withLabPropagators(run: () => void): void {
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new FastW3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  try {
    run();
  } finally {
    propagation.disable();
  }
}

test('a span\'s context written straight into a carrier is what the propagators write, and baggage still goes through them', () => {
  withLabPropagators(() => {
    const spans = [
      trace.wrapSpanContext({ traceId: T, spanId: S, traceFlags: 1 }),
      trace.wrapSpanContext({ traceId: T, spanId: S, traceFlags: 0 }),
      trace.wrapSpanContext({ traceId: T, spanId: S, traceFlags: 1, traceState: new TraceState('a=1,b=2') }),
      trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: S, traceFlags: 1 }),
    ];
    const viaApi = (active: Context, span: ReturnType<typeof trace.wrapSpanContext>): Record<string, string> => {
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(active, span), carrier);
      return carrier;
    };
    const direct = (active: Context, span: ReturnType<typeof trace.wrapSpanContext>, lab: boolean): Record<string, string> => {
      const carrier: Record<string, string> = {};
      injectSpanInto(carrier, span, active, lab);
      return carrier;
    };
    const baggage = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ tenant: { value: 'acme' } }));
    for (const active of [ROOT_CONTEXT, baggage, suppressTracing(ROOT_CONTEXT)]) {
      for (const span of spans) {
        const expected = viaApi(active, span);
        assert.deepEqual(direct(active, span, true), expected, JSON.stringify(span.spanContext()));
        assert.deepEqual(direct(active, span, false), expected);
      }
    }
    // The cases above are not all empty: a valid span writes its traceparent, baggage its header.
    assert.deepEqual(direct(ROOT_CONTEXT, spans[2] as never, true), { traceparent: `00-${T}-${S}-01`, tracestate: 'a=1,b=2' });
    assert.equal(direct(baggage, spans[0] as never, true).baggage, 'tenant=acme');
  });
});

test('an unsampled traceparent is recognised from the header exactly when extracting it would say so', () => {
  withLabPropagators(() => {
    const headers = [...inputs, `00-${T}-${S}-02`, `00-${T}-${S}-03`];
    for (const follows of [true, false]) {
      for (const traceparent of headers) {
        const carrier = { traceparent, tracestate: 'a=1' };
        assert.equal(isUnsampledTraceParent(carrier, follows, true), isUnsampledRemoteParent(extractFrom(carrier), follows), `${traceparent} follows=${follows}`);
      }
    }
    assert.equal(isUnsampledTraceParent({ traceparent: `00-${T}-${S}-00` }, true, true), true);
    // Not the lab's propagators, or no traceparent: only extraction can tell.
    assert.equal(isUnsampledTraceParent({ traceparent: `00-${T}-${S}-00` }, true, false), false);
    assert.equal(isUnsampledTraceParent({}, true, true), false);
  });
});
