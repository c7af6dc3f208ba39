/**
 * The sidecar's span per message delivery: `send` (PRODUCER), the root of the
 * message's trace. Its context travels in the Delivery, so the worker's
 * backlog-wait and process spans become its children. A redelivery starts a
 * new trace that links to the first delivery's.
 */
import { SpanKind, trace, type Link } from '@opentelemetry/api';
import { DESTINATION_NAME, MESSAGING_SYSTEM, extractFrom, injectSpanInto, sampledTraceId } from '@backlog-lab/common/trace-context';
import type { Delivery } from '@backlog-lab/common/contract';
import type { QueuedMessage } from './queue/message.ts';
import type { Holder } from './queue/policy.ts';

const tracer = trace.getTracer('backlog-lab-sidecar');

/**
 * Given when the span starts: the attributes semantic conventions mark as
 * relevant to sampling. The rest are set only on a span that records, so an
 * unsampled message (99 of 100 as the stack ships) costs little.
 */
const SEND_ATTRIBUTES = {
  'messaging.system': MESSAGING_SYSTEM,
  'messaging.operation.type': 'send',
  'messaging.operation.name': 'send',
  'messaging.destination.name': DESTINATION_NAME,
};

/** Starts the send span, fills the delivery's trace context; returns the span's trace id if sampled and an end function. */
export function traceSend(message: QueuedMessage, delivery: Delivery, holder: Holder): { traceId: string | undefined; end: () => void } {
  const links: Link[] = [];
  if (message.firstTraceContext) {
    const first = trace.getSpanContext(extractFrom(message.firstTraceContext));
    if (first) links.push({ context: first });
  }
  const span = tracer.startSpan(`send ${DESTINATION_NAME}`, { kind: SpanKind.PRODUCER, root: true, links, attributes: SEND_ATTRIBUTES });
  if (span.isRecording()) {
    span.setAttributes({
      'messaging.message.id': message.id,
      'messaging.message.body.size': message.payload.length,
      'backlog.priority': message.priority,
      'backlog.delivery_attempt': delivery.attempt ?? 1,
      'backlog.mode': holder.policy.mode,
      'backlog.worker_id': holder.workerId,
    });
  }
  const carrier: Record<string, string> = {};
  injectSpanInto(carrier, span);
  delivery.traceContext = carrier;
  return { traceId: sampledTraceId(span), end: () => { span.end(); } };
}
