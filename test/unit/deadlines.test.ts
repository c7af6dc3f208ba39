import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Deadlines, type Expiring } from '../../services/sidecar/src/queue/deadlines.ts';

const entry = (name: string): Expiring & { name: string } => ({ name, deadline: undefined, dueAt: 0, prevDue: undefined, nextDue: undefined });

test('deadlines: entries expire in deadline order; removed ones never, renewed ones a span after their renewal', async () => {
  const fired: string[][] = [];
  const list = new Deadlines<ReturnType<typeof entry>>(60, (expired) => { fired.push(expired.map((e) => e.name)); });
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(entry) as [ReturnType<typeof entry>, ReturnType<typeof entry>, ReturnType<typeof entry>, ReturnType<typeof entry>];
  for (const e of [a, b, c]) list.add(e);
  list.remove(b);
  await new Promise((r) => setTimeout(r, 30));
  list.renew(a);
  list.add(d);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(fired, [['c']]);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(fired.flat(), ['c', 'a', 'd']);
  assert.equal(b.deadline, undefined);
  list.add(b);
  list.stop();
  await new Promise((r) => setTimeout(r, 90));
  assert.deepEqual(fired.flat(), ['c', 'a', 'd'], 'a stopped list fires nothing');
});
