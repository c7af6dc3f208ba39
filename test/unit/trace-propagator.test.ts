import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, defaultTextMapGetter, defaultTextMapSetter, trace, ROOT_CONTEXT } from '@opentelemetry/api';
import { parseTraceParent as libraryParse, W3CTraceContextPropagator } from '@opentelemetry/core';
import { FastW3CTraceContextPropagator, parseTraceParent } from '@backlog-lab/common/trace-propagator';

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
