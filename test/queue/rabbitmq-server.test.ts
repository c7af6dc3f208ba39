/**
 * The harness's RabbitMQ node: it answers on its own ports, and it leaves
 * nothing behind, whether stopped or abandoned by a process that was killed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import { connect } from 'amqplib';
import { nodeProcesses, startRabbitMq } from '@backlog-lab/harness/rabbitmq-server';
import { splitLines } from '@backlog-lab/harness/service-process';
import { waitFor } from '@backlog-lab/harness/admin-client';

test('a node answers AMQP, management and Prometheus on its own ports, and stop() leaves no process and no directory', async () => {
  const broker = await startRabbitMq();
  try {
    assert.ok(broker.pids().length >= 3, 'epmd, the broker script and the beam at least');
    const connection = await connect(broker.url);
    await connection.close();
    const overview = (await broker.management('/api/overview')) as { node?: string };
    assert.equal(overview.node, broker.nodeName);
    const metrics = await (await fetch(`http://127.0.0.1:${broker.prometheusPort}/metrics`)).text();
    assert.match(metrics, /^rabbitmq_build_info/m);
    assert.equal(new Set([broker.amqpPort, broker.managementPort, broker.prometheusPort]).size, 3);
  } finally {
    await broker.stop();
  }
  assert.deepEqual(nodeProcesses(broker.nodeName), []);
  assert.equal(existsSync(broker.dir), false);
});

test('a process that dies without stopping its node (SIGKILL) takes the node with it', async () => {
  const script = `
    const { startRabbitMq } = await import('@backlog-lab/harness/rabbitmq-server');
    const broker = await startRabbitMq();
    console.log(JSON.stringify({ nodeName: broker.nodeName, dir: broker.dir }));
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const started = new Promise<{ nodeName: string; dir: string }>((resolve) => {
    splitLines(child.stdout, (line) => { resolve(JSON.parse(line) as { nodeName: string; dir: string }); });
  });
  const { nodeName, dir } = await started;
  try {
    assert.ok(nodeProcesses(nodeName).length >= 3);
    child.kill('SIGKILL');
    await waitFor(`${nodeName}'s processes to go`, () => (nodeProcesses(nodeName).length === 0 ? true : undefined), 20_000, 50);
  } finally {
    // Only the processes go with a killed parent; its temp dir stays (see rabbitmq-server.ts).
    rmSync(dir, { recursive: true, force: true });
  }
});

test('syncMetadata() puts a queue declared a moment ago on disk: after a SIGKILL and restart it is there with its confirmed messages', async () => {
  const broker = await startRabbitMq();
  try {
    const connection = await connect(broker.url);
    connection.on('error', () => undefined);
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue('just-declared', { durable: true });
    for (let i = 0; i < 20; i++) channel.sendToQueue('just-declared', Buffer.from(`m${i}`), { persistent: true });
    await channel.waitForConfirms();
    await broker.syncMetadata();
    await broker.kill();
    await broker.restart();
    const again = await connect(broker.url);
    try {
      const queue = await (await again.createChannel()).checkQueue('just-declared');
      assert.equal(queue.messageCount, 20);
    } finally {
      await again.close();
    }
  } finally {
    await broker.stop();
  }
});
