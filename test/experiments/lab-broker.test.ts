/**
 * A queue with a broker (RabbitMQ, soon) is one entry in variants/queues.ts;
 * startLab starts its broker. These tests hand startBroker a stand-in broker
 * (a Node one-liner) to check what it promises: ready once the port takes
 * connections, and a dead broker's own output in the error.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { startBroker } from '../../experiments/lib/lab.ts';

test('a broker is ready once its port takes connections, and the sidecar gets its URL', async () => {
  const listener = 'setTimeout(() => require("node:net").createServer().listen(Number(process.env.PORT), "127.0.0.1"), 300)';
  const broker = await startBroker({
    command: (port) => ({ argv: [process.execPath, '-e', listener], env: { PORT: port } }),
    url: (port) => `fake://127.0.0.1:${port}`,
  }, 'fake-broker', 10_000);
  try {
    const port = Number(/:(\d+)$/.exec(broker.url)?.[1]);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(); });
      socket.once('error', reject);
    });
  } finally {
    await broker.proc.kill();
  }
});

test('a broker that dies before it listens fails start-up with its own output', async () => {
  await assert.rejects(
    startBroker({
      command: () => ({ argv: [process.execPath, '-e', 'console.error("no config file"); process.exit(3)'], env: {} }),
      url: () => 'unused',
    }, 'fake-broker', 10_000),
    /fake-broker exited; output:\n.*no config file/s,
  );
});
