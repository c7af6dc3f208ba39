/**
 * Publish: the RPC for producers, scenario scripts and tests. A batch is
 * checked whole (count, bytes, every field, the queue's room) before any of
 * it is enqueued, so a refused request changes nothing and a client may
 * retry it as it is.
 */
import * as grpc from '@grpc/grpc-js';
import { ID_RULE, isValidId, quoteBounded } from '@backlog-lab/common/identifiers';
import { PRIORITY_LEVELS } from '@backlog-lab/common/priority';
import type { PublishRequest__Output } from '@backlog-lab/common/generated/backlog/v1/PublishRequest';
import type { PublishResponse } from '@backlog-lab/common/generated/backlog/v1/PublishResponse';
import { describeError } from '@backlog-lab/common/errors';
import type { SidecarMetrics } from '../metrics.ts';
import { SHUTTING_DOWN, type StatusError } from '../delivery/server-calls.ts';
import type { Dispatcher } from '../queue/dispatcher.ts';
import type { NewMessage } from '../queue/message.ts';
import type { MessageIds } from '../queue/message-ids.ts';

export interface PublishLimits {
  readonly maxPayloadBytes: number;
  readonly maxPublishMessages: number;
  readonly maxPublishBytes: number;
  readonly maxQueued: number;
  readonly maxQueuedBytes: number;
}

/** The batch as it will be enqueued, or why it is refused. */
export function checkBatch(request: PublishRequest__Output, limits: PublishLimits, dispatcher: Dispatcher, ids: MessageIds): NewMessage[] | StatusError {
  const messages = request.messages;
  if (messages.length === 0 || messages.length > limits.maxPublishMessages) {
    return { code: grpc.status.INVALID_ARGUMENT, details: `messages must hold 1..${limits.maxPublishMessages} messages (MAX_PUBLISH_MESSAGES), got ${messages.length}` };
  }
  let bytes = 0;
  for (const m of messages) bytes += m.payload.length;
  if (bytes > limits.maxPublishBytes) {
    return { code: grpc.status.RESOURCE_EXHAUSTED, details: `the batch carries ${bytes} payload bytes; the limit is ${limits.maxPublishBytes} (MAX_PUBLISH_BYTES)` };
  }
  if (dispatcher.queue.size + messages.length > limits.maxQueued) {
    return { code: grpc.status.RESOURCE_EXHAUSTED, details: `the queue holds ${dispatcher.queue.size} messages; the limit is ${limits.maxQueued} (MAX_QUEUED)` };
  }
  if (dispatcher.queue.bytes + bytes > limits.maxQueuedBytes) {
    return { code: grpc.status.RESOURCE_EXHAUSTED, details: `the queue holds ${dispatcher.queue.bytes} payload bytes; the limit is ${limits.maxQueuedBytes} (MAX_QUEUED_BYTES)` };
  }
  const batch: NewMessage[] = [];
  const inBatch = new Set<string>();
  const taken = (id: string): boolean => inBatch.has(id) || dispatcher.has(id);
  for (const [index, m] of messages.entries()) {
    if (m.priority >= PRIORITY_LEVELS) {
      return { code: grpc.status.INVALID_ARGUMENT, details: `messages[${index}].priority must be 0..${PRIORITY_LEVELS - 1}, got ${m.priority}` };
    }
    if (m.payload.length > limits.maxPayloadBytes) {
      return { code: grpc.status.RESOURCE_EXHAUSTED, details: `messages[${index}].payload is ${m.payload.length} bytes; the limit is ${limits.maxPayloadBytes} (MAX_PAYLOAD_BYTES)` };
    }
    if (m.id !== '' && !isValidId(m.id)) {
      return { code: grpc.status.INVALID_ARGUMENT, details: `messages[${index}].id must be ${ID_RULE}` };
    }
    if (m.id !== '' && taken(m.id)) {
      return { code: grpc.status.ALREADY_EXISTS, details: `messages[${index}].id ${quoteBounded(m.id)} is already queued or in flight` };
    }
    const id = m.id === '' ? ids.next(taken) : m.id;
    inBatch.add(id);
    batch.push({ id, priority: m.priority, payload: m.payload });
  }
  return batch;
}

export function createPublishHandler(dispatcher: Dispatcher, ids: MessageIds, limits: PublishLimits, metrics: SidecarMetrics): grpc.handleUnaryCall<PublishRequest__Output, PublishResponse> {
  return (call, callback) => {
    if (dispatcher.closed) {
      callback(SHUTTING_DOWN);
      return;
    }
    const batch = checkBatch(call.request, limits, dispatcher, ids);
    if (!Array.isArray(batch)) {
      if (batch.code === grpc.status.RESOURCE_EXHAUSTED) metrics.refused('publish_batch');
      callback(batch);
      return;
    }
    dispatcher.publish(batch).then(
      () => { callback(null, { ids: batch.map((m) => m.id) }); },
      (error: unknown) => { callback({ code: grpc.status.UNAVAILABLE, details: `the queue did not take the batch: ${describeError(error)}` }); },
    );
  };
}
