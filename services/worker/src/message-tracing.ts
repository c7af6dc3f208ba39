/**
 * The worker's spans per message, children of the sidecar's `send` span
 * through the trace context carried in the message:
 *   send (sidecar, PRODUCER)
 *     └ backlog wait (start = sidecar's dispatch time, end = start of processing)
 *         └ process (CONSUMER)
 * The backlog span starts at a sidecar timestamp and ends at a worker one:
 * exact on one host, as good as clock sync across hosts.
 *
 * The sampling decision is the sidecar's, made once for the message's trace
 * and carried in its traceparent. A message the sidecar did not sample (99
 * of 100 as the stack ships) starts no span here when this worker's sampler
 * follows the parent's decision, as every parentbased_* sampler and the
 * default do: those spans would record nothing, and starting them (ids,
 * sampler, contexts) was the largest part of the worker's telemetry cost.
 */
import { SpanKind, SpanStatusCode, context, trace, type Span } from '@opentelemetry/api';
import type { Delivery__Output } from '@backlog-lab/common/contract';
import { errorMessage } from '@backlog-lab/common/errors';
import type { DeliveryMode } from '@backlog-lab/common/modes';
import { DESTINATION_NAME, MESSAGING_SYSTEM, extractFrom, isUnsampledRemoteParent, isUnsampledTraceParent, sampledTraceId } from '@backlog-lab/common/trace-context';

const tracer = trace.getTracer('backlog-lab-worker');

export interface MessageSpans {
  readonly traceId: string | undefined;
  /** Ends the process span, recording an error if there was one. */
  end(error?: unknown): void;
}

/** Given when each span starts: the attributes semantic conventions mark as relevant to sampling. */
const BACKLOG_ATTRIBUTES = {
  'messaging.system': MESSAGING_SYSTEM,
  'messaging.destination.name': DESTINATION_NAME,
  'messaging.operation.type': 'receive',
};
const PROCESS_ATTRIBUTES = {
  'messaging.system': MESSAGING_SYSTEM,
  'messaging.destination.name': DESTINATION_NAME,
  'messaging.operation.type': 'process',
  'messaging.operation.name': 'process',
};

/** What an unsampled message's spans come to: no trace id, nothing to end. */
const UNSAMPLED: MessageSpans = { traceId: undefined, end() { /* no span was started */ } };

/** `dispatchedAt` and `startedAt` in Unix microseconds. */
export function traceMessage(delivery: Delivery__Output, dispatchedAt: number, startedAt: number, workerId: string, mode: DeliveryMode): MessageSpans {
  // Read from the header where that is the whole trace context; else extracted and asked.
  if (isUnsampledTraceParent(delivery.traceContext)) return UNSAMPLED;
  const parent = extractFrom(delivery.traceContext);
  if (isUnsampledRemoteParent(parent)) return UNSAMPLED;
  const backlog = tracer.startSpan('backlog wait', {
    kind: SpanKind.INTERNAL,
    startTime: dispatchedAt / 1000,
    attributes: BACKLOG_ATTRIBUTES,
  }, parent);
  const process: Span = tracer.startSpan(`process ${DESTINATION_NAME}`, {
    kind: SpanKind.CONSUMER,
    startTime: startedAt / 1000,
    attributes: PROCESS_ATTRIBUTES,
  }, trace.setSpan(context.active(), backlog));
  // The rest only where they are kept: most messages are not sampled, and
  // building attributes for a span that records nothing is most of its cost.
  if (backlog.isRecording() || process.isRecording()) {
    const attributes = {
      'messaging.message.id': delivery.id,
      'backlog.priority': delivery.priority,
      'backlog.delivery_attempt': delivery.attempt,
      'backlog.mode': mode,
      'backlog.worker_id': workerId,
    };
    backlog.setAttributes(attributes);
    process.setAttributes(attributes);
  }
  backlog.end(startedAt / 1000);
  return {
    traceId: sampledTraceId(process),
    end(error) {
      if (error !== undefined) {
        process.recordException(error instanceof Error ? error : errorMessage(error));
        process.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
      }
      process.end();
    },
  };
}
