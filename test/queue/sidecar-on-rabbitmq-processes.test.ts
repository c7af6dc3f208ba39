/**
 * The sidecar with RabbitMQ behind it where a process boundary is under
 * test: a worker or a sidecar killed with SIGKILL, a sidecar started while
 * the broker is down, a sidecar refusing a bad QUEUE_URL. One harness broker
 * for this file, a queue per test; what need not be a process (the
 * survivors) runs in this one.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkHealth } from '@backlog-lab/common/health-probe';
import { createAdminClient, waitFor, workerStats } from '@backlog-lab/harness/admin-client';
import { startSidecar, startWorker, type RunningSidecar, type RunningWorker } from '@backlog-lab/harness/lab-services';
import { startRabbitMq, type RabbitMqServer } from '@backlog-lab/harness/rabbitmq-server';
import { spawnService } from '@backlog-lab/harness/service-process';
import { REPO_ROOT } from '@backlog-lab/harness/repo';
import { num, startInProcessLab } from '../support/in-process-lab.ts';
import { distinctSorted, duplicates, freshQueue, processedBy, rabbitEnv, untilBroker, untilConsuming } from '../support/rabbitmq-lab.ts';

let broker: RabbitMqServer;
before(async () => { broker = await startRabbitMq(); });
after(async () => { await broker.stop(); });

const processes: (RunningSidecar | RunningWorker)[] = [];
after(async () => { await Promise.all(processes.map((p) => p.kill())); });
const tracked = <T extends RunningSidecar | RunningWorker>(proc: T): T => {
  processes.push(proc);
  return proc;
};

for (const mode of ['credit', 'poll'] as const) {
  test(`${mode}: a worker killed with SIGKILL loses nothing; what it held comes back through the broker, and every id is processed`, async (t) => {
    const name = freshQueue(`worker-kill-${mode}`);
    const lab = await startInProcessLab(rabbitEnv(broker, name, { QUEUE_PREFETCH: 30 }));
    await untilConsuming(lab.admin);
    const victim = tracked(await startWorker(lab.address, `victim-${mode}`, { DELIVERY_MODE: mode, PREFETCH: 10, PROCESSING_DELAY_MS: 300 }));
    const published = await lab.admin.publishMany(80, { idPrefix: `wk-${mode}` });
    await waitFor('the victim to finish one and hold more', async () => {
      const w = workerStats(await lab.admin.stats(), victim.workerId);
      return num(w.acked) >= 1 && num(w.inFlight) >= 1 ? true : undefined;
    });
    await victim.kill();
    const survivor = await lab.worker(`survivor-${mode}`, { DELIVERY_MODE: mode, PREFETCH: 10, PROCESSING_DELAY_MS: 5 });
    const workers = [victim, survivor];
    await waitFor('every published id processed', () => {
      const seen = new Set(processedBy(workers));
      return published.every((id) => seen.has(id)) ? true : undefined;
    }, 60_000, 50);
    assert.deepEqual(distinctSorted(processedBy(workers)), [...published].sort());
    const stats = await lab.admin.stats();
    const requeued = num(workerStats(stats, victim.workerId).requeued);
    assert.ok(requeued >= 1, 'the sidecar requeued nothing of the victim\'s');
    assert.equal(num(stats.totals?.lost), 0);
    t.diagnostic(`victim processed ${victim.processedIds().length}, ${requeued} requeued to the broker, ${duplicates(processedBy(workers)).length} processed twice`);
    await untilBroker(broker, name, 'nothing left', (c) => c.ready === 0 && c.unacked === 0);
  });
}

for (const mode of ['credit', 'poll'] as const) {
  test(`${mode}: a sidecar killed with SIGKILL loses nothing; the broker gives what it held to the other sidecar on the queue`, async (t) => {
    const name = freshQueue(`sidecar-kill-${mode}`);
    // The doomed sidecar is a process; its worker, the other sidecar and its worker live here.
    const doomed = tracked(await startSidecar(rabbitEnv(broker, name, { QUEUE_PREFETCH: 50, LOG_LEVEL: 'info' })));
    const doomedAdmin = createAdminClient(doomed.address);
    await untilConsuming(doomedAdmin);
    const other = await startInProcessLab(rabbitEnv(broker, name, { QUEUE_PREFETCH: 10 }));
    await untilConsuming(other.admin);
    const slowEnv = { DELIVERY_MODE: mode, PREFETCH: 5, PROCESSING_DELAY_MS: 200, WORKER_DRAIN_MS: 500 };
    // The doomed sidecar's worker, in-process: it keeps trying the dead address until the file ends.
    const stranded = await other.worker(`stranded-${mode}`, { ...slowEnv, SIDECAR_ADDRESS: doomed.address });
    const rescuer = await other.worker(`rescuer-${mode}`, { DELIVERY_MODE: mode, PREFETCH: 5, PROCESSING_DELAY_MS: 20 });
    const published = await doomedAdmin.publishMany(200, { idPrefix: `sk-${mode}` });
    const before = await waitFor('the doomed sidecar to hold messages unacked upstream', async () => {
      const stats = await doomedAdmin.stats();
      return num(stats.upstream?.unacked) >= 10 && stranded.processedIds().length >= 1 ? stats : undefined;
    }, 30_000, 20);
    doomedAdmin.close();
    await doomed.kill();
    const workers = [stranded, rescuer];
    await waitFor('every published id processed', () => {
      const seen = new Set(processedBy(workers));
      return published.every((id) => seen.has(id)) ? true : undefined;
    }, 60_000, 50);
    assert.deepEqual(distinctSorted(processedBy(workers)), [...published].sort());
    t.diagnostic(`the doomed sidecar held ${num(before.upstream?.unacked)} unacked upstream; ${duplicates(processedBy(workers)).length} processed twice`);
    const stats = await other.admin.stats();
    assert.ok(num(stats.totals?.dispatched) > 0);
    await untilBroker(broker, name, 'one consumer and nothing left', (c) => c.consumers === 1 && c.ready === 0 && c.unacked === 0);
  });
}

test('broker down at start: the sidecar starts, says NOT_SERVING, keeps retrying without a crash loop, and serves once the broker is up', async () => {
  const name = freshQueue('down-at-start');
  await broker.kill();
  const sidecar = tracked(await startSidecar(rabbitEnv(broker, name, { LOG_LEVEL: 'info' })));
  await sidecar.waitForLog((r) => r.msg === 'cannot connect to RabbitMQ; retrying' && Number(r.attempt) >= 3, 30_000);
  assert.equal(await checkHealth(sidecar.address), 'NOT_SERVING');
  assert.equal(sidecar.child.exitCode, null, 'the sidecar exited');
  const warnings = sidecar.logs.filter((r) => r.msg === 'cannot connect to RabbitMQ; retrying');
  assert.ok(warnings.every((r) => r.level === 'warn' && String(r.broker).includes(':***@')), 'each attempt is one warning, without the password');
  await broker.restart();
  await waitFor('health SERVING', async () => ((await checkHealth(sidecar.address)) === 'SERVING' ? true : undefined), 60_000, 200);
  const admin = createAdminClient(sidecar.address);
  try {
    await admin.publishMany(5, { idPrefix: 'after' });
    await untilBroker(broker, name, '5 messages in the queue', (c) => c.ready + c.unacked === 5);
  } finally {
    admin.close();
  }
  assert.equal(sidecar.child.exitCode, null);
  assert.equal(sidecar.logs.filter((r) => r.msg === 'sidecar listening').length, 1, 'it started once');
});

test('a bad QUEUE_URL stops the sidecar at once with exit status 2 and a line naming the variable, never the password', async () => {
  const proc = spawnService({
    name: 'sidecar',
    command: process.execPath,
    args: [`${REPO_ROOT}/services/sidecar/src/main.ts`],
    env: { QUEUE: 'rabbitmq', QUEUE_URL: 'http://guest:hunter2@broker:5672', SIDECAR_GRPC_PORT: 0, SIDECAR_METRICS_PORT: 0 },
  });
  const exit = await proc.exited;
  assert.equal(exit.code, 2);
  const output = [...proc.rawOutput, ...proc.logs.map((r) => JSON.stringify(r))].join('\n');
  assert.match(output, /QUEUE_URL must be an amqp:\/\/ or amqps:\/\/ URL with a host, got a 'http:' URL/);
  assert.doesNotMatch(output, /hunter2/);
});
