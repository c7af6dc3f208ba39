/**
 * What every delivery mode's handlers share: the answer while shutting down,
 * the checks a worker's call passes before it may hold or settle anything,
 * and ending a cancelled call so its span is ended. Written once here.
 */
import * as grpc from '@grpc/grpc-js';
import { ID_RULE, isValidId } from '@backlog-lab/common/identifiers';
import type { SidecarMetrics } from '../metrics.ts';
import type { Dispatcher } from '../queue/dispatcher.ts';
import type { DeliveryPolicy } from '../queue/policy.ts';
import { isRefusal, type WorkerRecord } from '../queue/workers.ts';

/** A status a handler answers with: a bounded, human-readable message. */
export interface StatusError {
  readonly code: grpc.status;
  readonly details: string;
}

export const SHUTTING_DOWN: StatusError = { code: grpc.status.UNAVAILABLE, details: 'sidecar is shutting down' };
export const INVALID_WORKER_ID: StatusError = { code: grpc.status.INVALID_ARGUMENT, details: `worker_id must be ${ID_RULE}` };

export function isStatusError(value: unknown): value is StatusError {
  return typeof value === 'object' && value !== null && 'code' in value && 'details' in value;
}

/** What the guard reads of any server call (grpc-js does not export its common base type). */
export type ServerCall = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getAuthContext' | 'getPeer'>;

/** The names a caller's client certificate proves (mutual TLS), or undefined when the sidecar does not ask for certificates. */
export type IdentityOf = (call: ServerCall) => readonly string[] | undefined;

export interface CallGuard {
  /**
   * A worker's call that will hold deliveries (a stream, a Pull): the sidecar
   * is not closing, the worker id is valid and the caller's own, and the id
   * may attach in this mode now. The worker's record, or the status to answer.
   */
  admit(call: ServerCall, workerId: string, policy: DeliveryPolicy): WorkerRecord | StatusError;
  /** A call that only settles (Receipt, Ack, ExtendLease): a valid worker id that is the caller's own. */
  check(call: ServerCall, workerId: string): StatusError | undefined;
}

export function createCallGuard(dispatcher: Dispatcher, metrics: SidecarMetrics, identityOf: IdentityOf): CallGuard {
  const check = (call: ServerCall, workerId: string): StatusError | undefined => {
    if (!isValidId(workerId)) return INVALID_WORKER_ID;
    const names = identityOf(call);
    if (names !== undefined && !names.includes(workerId)) {
      metrics.refused('identity');
      return { code: grpc.status.PERMISSION_DENIED, details: 'worker_id is not a name of the client certificate' };
    }
    return undefined;
  };
  return {
    check,
    admit(call, workerId, policy) {
      if (dispatcher.closed) return SHUTTING_DOWN;
      const invalid = check(call, workerId);
      if (invalid) return invalid;
      const admitted = dispatcher.workers.admit(workerId, policy);
      if (!isRefusal(admitted)) return admitted;
      switch (admitted.reason) {
        case 'taken':
          metrics.refused('worker_id_taken');
          return { code: grpc.status.ALREADY_EXISTS, details: `worker_id already has a live ${policy.mode} stream` };
        case 'other-mode':
          metrics.refused('worker_id_taken');
          return { code: grpc.status.ALREADY_EXISTS, details: `worker_id is connected in ${admitted.mode} mode` };
        case 'full':
          metrics.refused('workers');
          return { code: grpc.status.RESOURCE_EXHAUSTED, details: `the sidecar knows ${admitted.max} workers, its limit (MAX_WORKERS); retry later` };
      }
    },
  };
}

/**
 * grpc-js reports a client's cancel only as 'cancelled', and the gRPC
 * instrumentation ends a server stream's span only on 'finish' or 'error'.
 * Ending the call with a CANCELLED status gives the span its end and status;
 * grpc-js sends nothing on a call that is already cancelled.
 */
export function endCancelled(call: NodeJS.EventEmitter): void {
  call.emit('error', { code: grpc.status.CANCELLED, details: 'cancelled by the worker' });
}

/** Checks a list of ack ids from the wire: 1..max entries, each a valid id. */
export function checkAckIds(ackIds: readonly string[], max: number, field: string): StatusError | undefined {
  if (ackIds.length === 0 || ackIds.length > max) {
    return { code: grpc.status.INVALID_ARGUMENT, details: `${field} must hold 1..${max} ids, got ${ackIds.length}` };
  }
  const bad = ackIds.findIndex((id) => !isValidId(id));
  return bad < 0 ? undefined : { code: grpc.status.INVALID_ARGUMENT, details: `${field}[${bad}] must be ${ID_RULE}` };
}
