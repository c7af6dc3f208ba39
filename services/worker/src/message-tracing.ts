/**
 * The worker's spans per message, children of the sidecar's `send` span
 * through the trace context carried in the message:
 *   send (sidecar, PRODUCER)
 *     └ backlog wait (start = sidecar's dispatch time, end = start of processing)
 *         └ process (CONSUMER)
 * The backlog span starts at a sidecar timestamp and ends at a worker one:
 * exact on one host, as good as clock sync across hosts.
 */
import { SpanKind, SpanStatusCode, context, trace, type Span } from '@opentelemetry/api';
import { unixNanoToMillis } from '@backlog-lab/common/clock';
import type { Delivery__Output } from '@backlog-lab/common/contract';
import { errorMessage } from '@backlog-lab/common/errors';
import type { DeliveryMode } from '@backlog-lab/common/modes';
import { DESTINATION_NAME, MESSAGING_SYSTEM, extractFrom, sampledTraceId } from '@backlog-lab/common/trace-context';

const tracer = trace.getTracer('backlog-lab-worker');

export interface MessageSpans {
  readonly traceId: string | undefined;
  /** Ends the process span, recording an error if there was one. */
  end(error?: unknown): void;
}

export function traceMessage(delivery: Delivery__Output, dispatchedAt: bigint, startedAt: bigint, workerId: string, mode: DeliveryMode): MessageSpans {
  const attributes = {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.destination.name': DESTINATION_NAME,
    'messaging.message.id': delivery.id,
    'backlog.priority': delivery.priority,
    'backlog.delivery_attempt': delivery.attempt,
    'backlog.mode': mode,
    'backlog.worker_id': workerId,
  };
  const parent = extractFrom(delivery.traceContext);
  const backlog = tracer.startSpan('backlog wait', {
    kind: SpanKind.INTERNAL,
    startTime: unixNanoToMillis(dispatchedAt),
    attributes: { ...attributes, 'messaging.operation.type': 'receive' },
  }, parent);
  backlog.end(unixNanoToMillis(startedAt));
  const process: Span = tracer.startSpan(`process ${DESTINATION_NAME}`, {
    kind: SpanKind.CONSUMER,
    startTime: unixNanoToMillis(startedAt),
    attributes: { ...attributes, 'messaging.operation.type': 'process', 'messaging.operation.name': 'process' },
  }, trace.setSpan(context.active(), backlog));
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
