import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createReceipts } from '../../services/worker/src/receivers/receipts.ts';

/** A Receipt call the test answers by hand. */
function manualSender(): { calls: string[][]; answer(): void; send(ids: string[]): Promise<void> } {
  const calls: string[][] = [];
  const pending: (() => void)[] = [];
  return {
    calls,
    answer: () => { pending.shift()?.(); },
    send: (ids) => { calls.push(ids); return new Promise((resolve) => { pending.push(resolve); }); },
  };
}

test('receipts: the first goes out at once; what finishes while a call is on its way shares the next call', async () => {
  const sender = manualSender();
  const receipts = createReceipts((ids) => sender.send(ids), 3);
  receipts.add('a');
  assert.deepEqual(sender.calls, [['a']]);
  for (const id of ['b', 'c', 'd', 'e']) receipts.add(id);
  assert.equal(sender.calls.length, 1, 'one call at a time');
  sender.answer();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(sender.calls, [['a'], ['b', 'c', 'd']], 'at most maxIds per call');
  sender.answer();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(sender.calls.at(-1), ['e']);
  const flushed = receipts.flush();
  let done = false;
  void flushed.then(() => { done = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'flush waits for the call on its way');
  sender.answer();
  await flushed;
  assert.equal(sender.calls.flat().length, 5);
});
