/**
 * Stream-mode receipts, batched: one Receipt call at a time. A receipt goes
 * out at once when no call is on its way, and otherwise waits to share the
 * next call with whatever else finishes meanwhile (up to MAX_RECEIPT_IDS). A
 * slow worker (one message per 100 ms) so sends each receipt the moment the
 * message is done; a fast one sends as many per call as finish during one
 * round trip. Nothing waits on a timer, so a worker killed between messages
 * loses at most the receipts of one call in flight. A receipt that cannot
 * be delivered is not retried: the sidecar then counts that message lost
 * with its stream, which is also what it would have been had the worker died.
 */
import { MAX_RECEIPT_IDS } from '@backlog-lab/common/contract';

/** Sends one batch; resolves to whether it was answered (never rejects). */
export type SendReceipts = (ackIds: string[]) => Promise<boolean>;

export interface Receipts {
  /** Queues a receipt; resolves once the call that carries it was answered (true) or failed (false). */
  add(ackId: string): Promise<boolean>;
  /** Resolves once every receipt added so far has been sent and answered (or has failed). */
  flush(): Promise<void>;
}

export function createReceipts(send: SendReceipts, maxIds = MAX_RECEIPT_IDS): Receipts {
  const waiting: { ackId: string; settle: (answered: boolean) => void }[] = [];
  let sending: Promise<void> | undefined;
  const next = (): void => {
    if (sending !== undefined || waiting.length === 0) return;
    const batch = waiting.splice(0, maxIds);
    sending = send(batch.map((w) => w.ackId)).then((answered) => {
      for (const w of batch) w.settle(answered);
      sending = undefined;
      next();
    });
  };
  return {
    add(ackId) {
      const settled = new Promise<boolean>((settle) => { waiting.push({ ackId, settle }); });
      next();
      return settled;
    },
    async flush() {
      while (sending !== undefined) await sending;
    },
  };
}
