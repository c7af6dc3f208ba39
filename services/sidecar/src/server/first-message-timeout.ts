/**
 * A call that sends no request message in time is ended with
 * DEADLINE_EXCEEDED: a client that opens calls with HEADERS only (a
 * half-open Pull, a Consume with no Hello) would otherwise hold them, and
 * their memory, for ever. A server interceptor sees every call of every
 * service; one sweep a second checks them all, so a call costs a set entry,
 * not a timer.
 */
import * as grpc from '@grpc/grpc-js';

export function firstMessageTimeout(timeoutMs: number, onTimeout: (method: string) => void): { interceptor: grpc.ServerInterceptor; stop(): void } {
  const waiting = new Map<grpc.ServerInterceptingCallInterface, { since: number; method: string }>();
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const [call, { since, method }] of waiting) {
      if (now - since < timeoutMs) continue;
      waiting.delete(call);
      onTimeout(method);
      call.sendStatus({ code: grpc.status.DEADLINE_EXCEEDED, details: `no request message within ${timeoutMs} ms` });
    }
  }, Math.min(1_000, Math.max(10, timeoutMs / 4)));
  sweep.unref();
  const interceptor: grpc.ServerInterceptor = (method, call) => new grpc.ServerInterceptingCall(call, {
    start(next) {
      waiting.set(call, { since: performance.now(), method: method.path });
      next({
        onReceiveMessage(message, nextMessage) {
          waiting.delete(call);
          nextMessage(message);
        },
        onReceiveHalfClose(nextHalfClose) {
          waiting.delete(call);
          nextHalfClose();
        },
        onCancel() {
          waiting.delete(call);
        },
      });
    },
    sendStatus(status, next) {
      waiting.delete(call);
      next(status);
    },
  });
  return { interceptor, stop: () => { clearInterval(sweep); waiting.clear(); } };
}
