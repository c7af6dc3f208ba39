import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidId } from '@backlog-lab/common/identifiers';
import { createAckIds } from '../../services/sidecar/src/queue/ack-ids.ts';
import { createMessageIds } from '../../services/sidecar/src/queue/message-ids.ts';

test('ack ids are distinct, valid ids, recognised only by the issuer that made them', () => {
  const mine = createAckIds();
  const theirs = createAckIds();
  const ids = Array.from({ length: 1000 }, () => mine.next());
  assert.equal(new Set(ids).size, 1000);
  assert.ok(ids.every(isValidId));
  assert.ok(ids.every((id) => mine.issued(id)));
  assert.ok(ids.every((id) => !theirs.issued(id)));
  const prefix = (ids[0] ?? '').split('.')[0] ?? '';
  // Same prefix, a number never issued, or a number written another way: not this issuer's.
  for (const forged of [`${prefix}.zzzz`, `${prefix}.01`, `${prefix}.`, `${prefix}.-1`, prefix]) assert.equal(mine.issued(forged), false, forged);
});

test('generated message ids skip ids that are taken, so a planted id is never reused', () => {
  const ids = createMessageIds('p');
  const planted = new Set(['p-000002', 'p-000003']);
  assert.deepEqual([ids.next((id) => planted.has(id)), ids.next((id) => planted.has(id))], ['p-000001', 'p-000004']);
});
