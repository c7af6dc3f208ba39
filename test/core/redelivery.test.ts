import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor, workerStats } from '../../tools/lib/queue-client.ts';
import { num, startLab } from '../support/lab.ts';

for (const { mode, env, holds } of [
  { mode: 'credit', env: { DELIVERY_MODE: 'credit', PREFETCH: 5 }, holds: 5 },
  { mode: 'poll', env: { DELIVERY_MODE: 'poll' }, holds: 1 },
] as const) {
  test(`${mode}: a worker that dies holding unacked messages has them redelivered to another, attempt 2, and every id is processed`, async () => {
    // The ack deadline is how a dead poll worker is noticed; credit notices the broken stream at once.
    const lab = await startLab({ ACK_DEADLINE_MS: 1500 });
    const ids = await lab.admin.publishMany(20);
    const doomed = await lab.worker('doomed', { ...env, PROCESSING_DELAY_MS: 60_000 });
    await waitFor('the doomed worker to hold messages', async () => (num(workerStats(await lab.admin.stats(), 'doomed').inFlight) === holds ? true : undefined));
    await doomed.kill();

    const rescuer = await lab.worker('rescuer', { ...env, PROCESSING_DELAY_MS: 0 });
    await waitFor('every message processed', async () => (num((await lab.admin.stats()).totals?.acked) === ids.length ? true : undefined));
    await rescuer.stop();

    assert.deepEqual(new Set(rescuer.processedIds()), new Set(ids));
    const redelivered = rescuer.logs.filter((r) => r.msg === 'message processed' && r.attempt === 2).map((r) => r.message_id);
    assert.equal(redelivered.length, holds);
    const stats = await lab.admin.stats();
    assert.equal(num(workerStats(stats, 'doomed').requeued), holds);
    assert.equal(num(stats.totals?.lost), 0);
  });
}
