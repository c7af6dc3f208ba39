import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, defaultTextMapGetter, defaultTextMapSetter, trace, ROOT_CONTEXT, SpanKind, type Context } from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace';
import { parseTraceParent as libraryParse, W3CTraceContextPropagator } from '@opentelemetry/core';
import { FastW3CTraceContextPropagator, parseTraceParent } from '@backlog-lab/common/trace-propagator';
import { followsUnsampledParent, isUnsampledRemoteParent } from '@backlog-lab/common/trace-context';

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
