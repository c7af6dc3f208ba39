import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createReceipts } from '../../services/worker/src/receivers/receipts.ts';

/** A Receipt call the test answers by hand. */
function manualSender(): { calls: string[][]; answer(ok?: boolean): void; send(ids: string[]): Promise<boolean> } {
  const calls: string[][] = [];
  const pending: ((answered: boolean) => void)[] = [];
  return {
    calls,
    answer: (ok = true) => { pending.shift()?.(ok); },
    send: (ids) => { calls.push(ids); return new Promise((resolve) => { pending.push(resolve); }); },
  };
}

test('receipts: the first goes out at once; what finishes while a call is on its way shares the next call', async () => {
  const sender = manualSender();
  const receipts = createReceipts((ids) => sender.send(ids), 3);
  const first = receipts.add('a');
  assert.deepEqual(sender.calls, [['a']]);
  const later = ['b', 'c', 'd', 'e'].map((id) => receipts.add(id));
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
  sender.answer(false);
  await flushed;
  assert.equal(sender.calls.flat().length, 5);
  // Each receipt learns how its own call went.
  assert.deepEqual(await Promise.all([first, ...later]), [true, true, true, true, false]);
});
