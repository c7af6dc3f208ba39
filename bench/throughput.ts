/**
 * Starts one contender (a server and its clients, all separate processes)
 * and times runs of a fixed number of messages through it.
 *
 * A run: read the processes' CPU time, publish the messages (pre-encoded
 * Publish batches of 10,000), wait until the clients have them all, read
 * the CPU time again. "Have them all" is the server's acked total (lab
 * workers ack or receipt every message; bare Pull clients ack) or, for bare
 * stream readers, which send nothing back, their own report of how many
 * they read and when they read the last one. The timed window therefore
 * includes receiving the Publish batches, in the sidecar and the baseline
 * server alike, and the Stats calls that watch for the end (see untilAcked:
 * a few dozen per run, by estimate 1-3 % of the server's CPU in the slowest
 * modes).
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRabbitMq, type RabbitMqServer } from '@backlog-lab/harness/rabbitmq-server';
import type { ServiceProcess } from '@backlog-lab/harness/service-process';
import type { ContenderSpec } from './contenders.ts';
import { telemetryEnv } from './contenders.ts';
import { createAmqpPublisher, type AmqpPublisher } from './lib/amqp-publisher.ts';
import { baselineScript, spawnBare, type BareProcess } from './lib/bare-process.ts';
import { totalCpuSeconds } from './lib/proc.ts';
import { launchSidecar, launchWorker } from './lib/services.ts';
import type { StatsResponse__Output } from '@backlog-lab/common/contract';
import { connectedWorkers, createQueueRpc, type QueueRpc } from './lib/queue-rpc.ts';
import { waitFor } from '@backlog-lab/harness/admin-client';

export interface ContenderOptions {
  /** Worker (client) processes per contender. */
  readonly workers: number;
  readonly payloadBytes: number;
  readonly sinkEndpoint: string;
  /** Extra node flags for the server process (the profiler). */
  readonly serverNodeOptions?: string;
  /** Extra node flags for the worker (client) processes. */
  readonly clientNodeOptions?: string;
}

export interface Run {
  readonly messages: number;
  readonly seconds: number;
  readonly serverCpuSeconds: number;
  readonly clientCpuSeconds: number;
  /** Monotonic clock (process.hrtime, µs) at the start and end, to cut a CPU profile to the runs. */
  readonly window: readonly [number, number];
  /** Requeues or losses during the run: there should be none. */
  readonly anomalies: readonly string[];
}

export interface RunningContender {
  readonly spec: ContenderSpec;
  readonly serverPid: number;
  readonly pids: readonly number[];
  run(messages: number): Promise<Run>;
  /**
   * SIGSTOP to every process: a paused contender costs the machine nothing
   * (no timers, no event-loop monitors), so the one being timed has the
   * machine to itself, as far as this bench is concerned.
   */
  pause(): void;
  /** SIGCONT, then waits until every worker is connected again. */
  resume(): Promise<void>;
  /** SIGCONT only (before stopping). */
  continue(): void;
  stop(): Promise<void>;
}

/** Shortest wait between Stats calls: the end of a run is seen at most this late, plus one call. */
const MIN_STATS_POLL_MS = 2;
/** How often the bench looks at the readers' reports (no RPC involved). */
const READER_POLL_MS = 5;
const RUN_TIMEOUT_MS = 120_000;

const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);
const wallMs = (): number => performance.timeOrigin + performance.now();

/** Starts a contender; if any of its processes fails to start, stops the others and throws. */
export async function startContender(spec: ContenderSpec, options: ContenderOptions): Promise<RunningContender> {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    return await launch(spec, options, cleanups);
  } catch (error) {
    await Promise.allSettled(cleanups.map((stop) => stop()));
    throw error;
  }
}

/** The long-poll timeout of poll clients, long enough that no Pull expires while its contender is paused. */
const LONG_POLL_MS = 600_000;

async function launch(spec: ContenderSpec, options: ContenderOptions, cleanups: (() => Promise<unknown>)[]): Promise<RunningContender> {
  const workerIds = Array.from({ length: options.workers }, (_, i) => `${spec.id.replace('/', '-')}-w${i + 1}`);
  const bare = (name: string, script: string, args: string[], nodeOptions: string | undefined): BareProcess => {
    const proc = spawnBare(name, baselineScript(script), args, flags(nodeOptions));
    cleanups.push(() => proc.stop());
    return proc;
  };
  const stopAll = async (rpc: QueueRpc, clients: readonly { stop(): Promise<unknown> }[], server: { stop(): Promise<unknown> }): Promise<void> => {
    rpc.close();
    await Promise.all(clients.map((c) => c.stop()));
    await server.stop();
  };
  switch (spec.kind) {
    case 'bare-stream':
    case 'bare-unary':
    case 'bare-credit': {
      const server = bare(`${spec.id} server`, 'server.ts', [], options.serverNodeOptions);
      const listening = await server.waitFor((l) => l.msg === 'listening');
      const address = `127.0.0.1:${Number(listening.port)}`;
      const rpc = createQueueRpc(address);
      if (spec.kind !== 'bare-stream') {
        // Clients that ack, so a run ends on the server's acked total.
        const [script, last] = spec.kind === 'bare-unary' ? ['unary-client.ts', String(LONG_POLL_MS)] : ['credit-client.ts', String(spec.prefetch ?? 1)];
        const clients = workerIds.map((id) => bare(id, script, [address, id, last], options.clientNodeOptions));
        await waitConnected(rpc, workerIds);
        return statsContender(spec, server.pid, clients.map((c) => c.pid), rpc, workerIds, options, () => stopAll(rpc, clients, server));
      }
      const readers = workerIds.map((id) => bare(id, 'stream-reader.ts', [address, id], options.clientNodeOptions));
      await waitConnected(rpc, workerIds);
      return readerContender(spec, server.pid, readers, rpc, workerIds, options, () => stopAll(rpc, readers, server));
    }
    case 'lab':
    case 'lab-bare-reader':
    case 'lab-bare-grpcio-reader': {
      const telemetry = telemetryEnv(spec.telemetry ?? 'shipped', options.sinkEndpoint);
      const track = (proc: ServiceProcess): void => { cleanups.push(() => proc.kill()); };
      const sidecar = await launchSidecar({ ...telemetry, LOG_LEVEL: 'info', LONG_POLL_MAX_MS: LONG_POLL_MS, NODE_OPTIONS: options.serverNodeOptions }, track);
      const rpc = createQueueRpc(sidecar.address);
      const serverPid = sidecar.pid;
      if (spec.kind === 'lab-bare-reader') {
        const readers = workerIds.map((id) => bare(id, 'stream-reader.ts', [sidecar.address, id], options.clientNodeOptions));
        await waitConnected(rpc, workerIds);
        return readerContender(spec, serverPid, readers, rpc, workerIds, options, () => stopAll(rpc, readers, sidecar.proc));
      }
      if (spec.kind === 'lab-bare-grpcio-reader') {
        const readers = workerIds.map((id) => {
          const proc = spawnBare(id, baselineScript('grpcio-stream-reader.py'), [sidecar.address, id], ['-B'], '/usr/bin/python3');
          cleanups.push(() => proc.stop());
          return proc;
        });
        await waitConnected(rpc, workerIds);
        return readerContender(spec, serverPid, readers, rpc, workerIds, options, () => stopAll(rpc, readers, sidecar.proc));
      }
      const workers = await Promise.all(workerIds.map((id) => launchWorker(sidecar.address, id, {
        ...telemetry,
        DELIVERY_MODE: spec.mode,
        PREFETCH: spec.prefetch,
        PROCESSING_DELAY_MS: 0,
        POLL_TIMEOUT_MS: LONG_POLL_MS,
        LOG_LEVEL: 'info',
        NODE_OPTIONS: options.clientNodeOptions,
      }, track, spec.stack)));
      await waitConnected(rpc, workerIds);
      return statsContender(spec, serverPid, workers.map((w) => w.pid), rpc, workerIds, options, () => stopAll(rpc, workers.map((w) => w.proc), sidecar.proc));
    }
    case 'rabbitmq-bare': {
      // A node per contender, so pausing one contender pauses its broker and nothing else.
      const broker = await startRabbitMq();
      cleanups.push(() => broker.stop());
      const queue = `bench-${spec.id.replace('/', '-')}`;
      const publisher = await createAmqpPublisher(broker.url, queue);
      cleanups.push(() => publisher.close());
      const consumers = workerIds.map((id) => bare(id, 'amqp-consumer.ts', [broker.url, queue, String(spec.prefetch ?? 1)], options.clientNodeOptions));
      await Promise.all(consumers.map((c) => c.waitFor((l) => l.msg === 'consuming', 30_000)));
      return amqpContender(spec, broker, consumers, publisher, options, async () => {
        await Promise.all(consumers.map((c) => c.stop()));
        await publisher.close();
        await broker.stop();
      });
    }
    case 'lab-rabbitmq': {
      // A node per contender, as for the bare consumers: pausing the contender pauses its broker too.
      const broker = await startRabbitMq();
      cleanups.push(() => broker.stop());
      const queue = `bench-${spec.id.replace('/', '-')}`;
      const publisher = await createAmqpPublisher(broker.url, queue);
      cleanups.push(() => publisher.close());
      // No heartbeats: the bench stops the sidecar (SIGSTOP) while it publishes a run's backlog.
      const url = new URL(broker.url);
      url.searchParams.set('heartbeat', '0');
      const telemetry = telemetryEnv(spec.telemetry ?? 'shipped', options.sinkEndpoint);
      const track = (proc: ServiceProcess): void => { cleanups.push(() => proc.kill()); };
      const sidecar = await launchSidecar({
        ...telemetry,
        LOG_LEVEL: 'info',
        LONG_POLL_MAX_MS: LONG_POLL_MS,
        NODE_OPTIONS: options.serverNodeOptions,
        QUEUE: 'rabbitmq',
        QUEUE_URL: url.toString(),
        QUEUE_NAME: queue,
        QUEUE_PREFETCH: spec.queuePrefetch,
      }, track);
      const rpc = createQueueRpc(sidecar.address);
      await waitFor(`${spec.id}: the sidecar to consume`, async () => ((await rpc.stats().catch(() => undefined))?.upstream?.connected ? true : undefined), 30_000, 50);
      const workers = await Promise.all(workerIds.map((id) => launchWorker(sidecar.address, id, {
        ...telemetry,
        DELIVERY_MODE: spec.mode,
        PREFETCH: spec.prefetch,
        PROCESSING_DELAY_MS: 0,
        POLL_TIMEOUT_MS: LONG_POLL_MS,
        LOG_LEVEL: 'info',
        NODE_OPTIONS: options.clientNodeOptions,
      }, track)));
      await waitConnected(rpc, workerIds);
      return brokerLabContender(spec, broker, sidecar.pid, workers.map((w) => w.pid), rpc, workerIds, publisher, options, async () => {
        await stopAll(rpc, workers.map((w) => w.proc), sidecar.proc);
        await publisher.close();
        await broker.stop();
      });
    }
  }
}

/**
 * The sidecar on RabbitMQ, timed as the bare consumers are: a run publishes
 * its backlog straight to the broker while the sidecar and its workers are
 * stopped (SIGSTOP), waits for the broker's confirms, then times the drain:
 * from resuming them until the sidecar's acked total (worker acks, or stream
 * receipts) has grown by the messages published. So the figure is broker ->
 * sidecar -> worker -> ack -> upstream ack, against bare consumers with the
 * sidecar's prefetch; the server CPU is the sidecar's and the node's.
 */
function brokerLabContender(spec: ContenderSpec, broker: RabbitMqServer, sidecarPid: number, clientPids: readonly number[], rpc: QueueRpc, workerIds: readonly string[], publisher: AmqpPublisher, options: ContenderOptions, stop: () => Promise<void>): RunningContender {
  const brokerPids = broker.pids();
  const serverPids = [sidecarPid, ...brokerPids];
  const stopped = [sidecarPid, ...clientPids];
  // The beam's helper processes may come and go; one that is gone counts nothing.
  const serverCpuSeconds = (): number => serverPids.reduce((sum, pid) => {
    try {
      return sum + totalCpuSeconds([pid]);
    } catch {
      return sum;
    }
  }, 0);
  const signal = (pids: readonly number[], name: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, name);
      } catch {
        // Already gone: the run will say so.
      }
    }
  };
  const pids = [...serverPids, ...clientPids];
  return {
    spec,
    serverPid: sidecarPid,
    pids,
    ...pausing(pids, rpc, workerIds),
    async run(messages) {
      const before = await rpc.stats();
      const acked0 = Number(before.totals?.acked ?? 0);
      const requeued0 = Number(before.totals?.requeued ?? 0);
      const lost0 = Number(before.totals?.lost ?? 0);
      // The backlog first, with the sidecar and workers stopped, confirmed and not timed: the run times the drain.
      signal(stopped, 'SIGSTOP');
      try {
        await publisher.publish(messages, options.payloadBytes);
        await publisher.confirmed();
      } catch (error) {
        signal(stopped, 'SIGCONT');
        throw error;
      }
      const server0 = serverCpuSeconds();
      const clients0 = totalCpuSeconds(clientPids);
      const hr0 = monotonicMicros();
      const t0 = performance.now();
      signal(stopped, 'SIGCONT');
      const after = await untilAcked(rpc, acked0, acked0 + messages, t0, `${spec.id}: ${messages} acks`);
      const t1 = performance.now();
      const hr1 = monotonicMicros();
      const anomalies: string[] = [];
      const requeued = Number(after.totals?.requeued ?? 0) - requeued0;
      const lost = Number(after.totals?.lost ?? 0) - lost0;
      if (requeued > 0) anomalies.push(`${requeued} requeued`);
      if (lost > 0) anomalies.push(`${lost} lost`);
      return {
        messages,
        seconds: (t1 - t0) / 1000,
        serverCpuSeconds: serverCpuSeconds() - server0,
        clientCpuSeconds: totalCpuSeconds(clientPids) - clients0,
        window: [hr0, hr1],
        anomalies,
      };
    },
    stop,
  };
}

/**
 * A run publishes its messages while the consumers are stopped (SIGSTOP),
 * waits for the broker's confirms, then times the drain: from resuming the
 * consumers until their counts have grown by the messages published, the end
 * being when the last one arrived (the consumers' monotonic clock, which is
 * ours). So the figure is what the consumers and the
 * broker's delivery path sustain, not how fast this process can publish
 * persistent messages with confirms. The "server" is the broker node: its
 * beam and helpers.
 */
function amqpContender(spec: ContenderSpec, broker: RabbitMqServer, consumers: readonly BareProcess[], publisher: AmqpPublisher, options: ContenderOptions, stop: () => Promise<void>): RunningContender {
  const state = consumers.map((consumer) => {
    const s = { count: 0, lastAt: 0 };
    consumer.onLine((line) => {
      if (line.msg !== 'idle') return;
      s.count = Number(line.count);
      s.lastAt = Number(line.last_at_us);
    });
    return s;
  });
  const brokerPids = broker.pids();
  const serverPid = brokerPids.find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'beam.smp') ?? brokerPids[0] ?? 0;
  // The beam's helper processes may come and go (a port program that exits); one that is gone counts nothing.
  const brokerCpuSeconds = (): number => brokerPids.reduce((sum, pid) => {
    try {
      return sum + totalCpuSeconds([pid]);
    } catch {
      return sum;
    }
  }, 0);
  const clientPids = consumers.map((c) => c.pid);
  const pids = [...brokerPids, ...clientPids];
  const signal = (name: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, name);
      } catch {
        // Already gone: the run will say so.
      }
    }
  };
  return {
    spec,
    serverPid,
    pids,
    pause: () => { signal('SIGSTOP'); },
    continue: () => { signal('SIGCONT'); },
    async resume() {
      signal('SIGCONT');
      // No heartbeats and no gRPC connections to wait for; let the timers that came due run.
      await sleep(100);
    },
    async run(messages) {
      // The backlog first, with the consumers stopped, confirmed and not timed: the run times the drain.
      const consumersGo = (): void => { for (const pid of clientPids) process.kill(pid, 'SIGCONT'); };
      for (const pid of clientPids) process.kill(pid, 'SIGSTOP');
      try {
        await publisher.publish(messages, options.payloadBytes);
        await publisher.confirmed();
      } catch (error) {
        consumersGo();
        throw error;
      }
      const counts0 = state.map((s) => s.count);
      const server0 = brokerCpuSeconds();
      const clients0 = totalCpuSeconds(clientPids);
      const hr0 = monotonicMicros();
      consumersGo();
      await waitFor(`${spec.id}: consumers to report ${messages} messages`, () => {
        const read = state.reduce((sum, s, i) => sum + s.count - (counts0[i] ?? 0), 0);
        if (read > messages) throw new Error(`${spec.id}: consumers report ${read} messages, more than the ${messages} published`);
        return Promise.resolve(read === messages ? true : undefined);
      }, RUN_TIMEOUT_MS, READER_POLL_MS);
      // The consumers' monotonic clock is this process's (see amqp-consumer.ts).
      const hr1 = Math.max(...state.filter((s, i) => s.count > (counts0[i] ?? 0)).map((s) => s.lastAt));
      return {
        messages,
        seconds: (hr1 - hr0) / 1e6,
        serverCpuSeconds: brokerCpuSeconds() - server0,
        clientCpuSeconds: totalCpuSeconds(clientPids) - clients0,
        window: [hr0, hr1],
        anomalies: [],
      };
    },
    stop,
  };
}

const flags = (nodeOptions: string | undefined): string[] => nodeOptions?.split(' ').filter((a) => a !== '') ?? [];

async function waitConnected(rpc: QueueRpc, workerIds: readonly string[]): Promise<void> {
  await waitFor(`${workerIds.length} workers to connect`, async () => {
    const stats = await rpc.stats().catch(() => undefined);
    return stats && connectedWorkers(stats, workerIds) === workerIds.length ? true : undefined;
  }, 30_000, 50);
}

function pausing(pids: readonly number[], rpc: QueueRpc, workerIds: readonly string[]): Pick<RunningContender, 'pause' | 'resume' | 'continue'> {
  const signal = (name: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, name);
      } catch {
        // Already gone: the run will say so.
      }
    }
  };
  return {
    pause: () => { signal('SIGSTOP'); },
    continue: () => { signal('SIGCONT'); },
    async resume() {
      signal('SIGCONT');
      // Timers that came due while stopped fire now; let them.
      await sleep(100);
      await waitConnected(rpc, workerIds);
    },
  };
}

/**
 * Waits until the server's acked total reaches `target`. Stats is a unary
 * call and costs the server CPU like any other, so it is not polled at a
 * fixed short interval: each wait is 80 % of the time the rest would take at
 * the rate seen so far in this run, and at most 15 % of the time so far.
 * That takes a few dozen calls per run and sees the end within a few ms.
 * (It must not use an earlier run's rate: a wait based on it would put a
 * floor under this run's time.)
 */
async function untilAcked(rpc: QueueRpc, acked0: number, target: number, t0: number, what: string): Promise<StatsResponse__Output> {
  for (;;) {
    const stats = await rpc.stats();
    const acked = Number(stats.totals?.acked ?? 0);
    if (acked >= target) return stats;
    const elapsed = performance.now() - t0;
    if (elapsed > RUN_TIMEOUT_MS) throw new Error(`timed out after ${RUN_TIMEOUT_MS} ms waiting for ${what}`);
    const done = acked - acked0;
    const remainingMs = done > 0 ? ((target - acked) * elapsed) / done : Infinity;
    // Early in a run the rate is not known yet (start-up), so no wait is longer than 15 % of the time so far.
    await sleep(Math.max(MIN_STATS_POLL_MS, Math.min(remainingMs * 0.8, elapsed * 0.15)));
  }
}

/** Runs end when the server's acked total has grown by the messages published. */
function statsContender(spec: ContenderSpec, serverPid: number, clientPids: readonly number[], rpc: QueueRpc, workerIds: readonly string[], options: ContenderOptions, stop: () => Promise<void>): RunningContender {
  const pids = [serverPid, ...clientPids];
  return {
    spec,
    serverPid,
    pids,
    ...pausing(pids, rpc, workerIds),
    async run(messages) {
      const before = await rpc.stats();
      const acked0 = Number(before.totals?.acked ?? 0);
      const requeued0 = Number(before.totals?.requeued ?? 0);
      const lost0 = Number(before.totals?.lost ?? 0);
      const server0 = totalCpuSeconds([serverPid]);
      const clients0 = totalCpuSeconds(clientPids);
      const hr0 = monotonicMicros();
      const t0 = performance.now();
      await rpc.publish(messages, options.payloadBytes);
      const after = await untilAcked(rpc, acked0, acked0 + messages, t0, `${spec.id}: ${messages} acks`);
      const t1 = performance.now();
      const hr1 = monotonicMicros();
      const anomalies: string[] = [];
      const requeued = Number(after.totals?.requeued ?? 0) - requeued0;
      const lost = Number(after.totals?.lost ?? 0) - lost0;
      if (requeued > 0) anomalies.push(`${requeued} requeued`);
      if (lost > 0) anomalies.push(`${lost} lost`);
      return {
        messages,
        seconds: (t1 - t0) / 1000,
        serverCpuSeconds: totalCpuSeconds([serverPid]) - server0,
        clientCpuSeconds: totalCpuSeconds(clientPids) - clients0,
        window: [hr0, hr1],
        anomalies,
      };
    },
    stop,
  };
}

/**
 * Runs end when the readers' counts add up to the messages published; the
 * end time is when the last message was read (the readers' own clock, the
 * same wall clock as ours on one host). Afterwards each reader subscribes
 * again, so the sidecar drops what it counted in flight on the old stream.
 */
function readerContender(spec: ContenderSpec, serverPid: number, readers: readonly BareProcess[], rpc: QueueRpc, workerIds: readonly string[], options: ContenderOptions, stop: () => Promise<void>): RunningContender {
  const state = readers.map((reader) => {
    const s = { count: 0, lastAt: 0, subscriptions: 0 };
    reader.onLine((line) => {
      if (line.msg === 'idle') {
        s.count = Number(line.count);
        s.lastAt = Number(line.last_at_ms);
      } else if (line.msg === 'subscribed') {
        s.count = 0;
        s.subscriptions++;
      }
    });
    return s;
  });
  const clientPids = readers.map((r) => r.pid);
  const pids = [serverPid, ...clientPids];
  return {
    spec,
    serverPid,
    pids,
    ...pausing(pids, rpc, workerIds),
    async run(messages) {
      const server0 = totalCpuSeconds([serverPid]);
      const clients0 = totalCpuSeconds(clientPids);
      const hr0 = monotonicMicros();
      const t0 = wallMs();
      await rpc.publish(messages, options.payloadBytes);
      await waitFor(`${spec.id}: readers to report ${messages} messages`, () => {
        const read = state.reduce((sum, s) => sum + s.count, 0);
        if (read > messages) throw new Error(`${spec.id}: readers report ${read} messages, more than the ${messages} published`);
        return Promise.resolve(read === messages ? true : undefined);
      }, RUN_TIMEOUT_MS, READER_POLL_MS);
      const t1 = Math.max(...state.map((s) => s.lastAt));
      const hr1 = hr0 + Math.round((t1 - t0) * 1000);
      const run: Run = {
        messages,
        seconds: (t1 - t0) / 1000,
        serverCpuSeconds: totalCpuSeconds([serverPid]) - server0,
        clientCpuSeconds: totalCpuSeconds(clientPids) - clients0,
        window: [hr0, hr1],
        anomalies: [],
      };
      const subscribed = state.map((s) => s.subscriptions);
      for (const reader of readers) reader.send('reset');
      await waitFor(`${spec.id}: readers to subscribe again`, () => Promise.resolve(state.every((s, i) => s.subscriptions > (subscribed[i] ?? 0)) ? true : undefined), 10_000, 10);
      await sleep(50);
      await waitConnected(rpc, workerIds);
      return run;
    },
    stop,
  };
}
