/**
 * Sidecar memory: resident set size (what the kernel charges the process,
 * /proc/<pid>/status VmRSS, plus its peak VmHWM) with messages queued and
 * with many stream workers connected. Every sidecar here runs with telemetry
 * as shipped and is started fresh, so scenarios do not inherit each other's
 * heap.
 *
 * Two ways to queue 100-byte messages, because they cost differently:
 * - PRODUCER_BURST: the built-in producer shares ONE payload buffer among all
 *   messages, so the figure is the queue's own per-message cost.
 * - Publish RPC, batches of 10,000: each payload is a Buffer view into its
 *   batch's receive buffer (protobufjs decodes `bytes` as a slice), so the
 *   wire bytes of every batch stay alive while any of its messages is queued.
 *   This is what a producer using the API costs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { scrape, sum } from '@backlog-lab/harness/prometheus-text';
import { telemetryEnv } from './contenders.ts';
import { baselineScript, spawnBare, type BareProcess } from './lib/bare-process.ts';
import { cpuSeconds, memory } from './lib/proc.ts';
import { createQueueRpc, type QueueRpc } from './lib/queue-rpc.ts';
import { waitFor } from '@backlog-lab/harness/admin-client';
import { launchSidecar, type LabSidecar } from './lib/services.ts';

export interface MemoryReadingRecord {
  readonly rssBytes: number;
  readonly peakRssBytes: number;
  /** V8 heap in use (nodejs_heap_size_used_bytes), sidecar only. */
  readonly heapUsedBytes?: number;
  /** Messages queued, or held in flight by stopped readers, when read. */
  readonly messages: number;
  /** Extra facts: messages in flight, CPU spent publishing. */
  readonly notes?: Readonly<Record<string, number>>;
}

/** Scenario id -> one reading per repetition. */
export type MemoryRuns = Map<string, MemoryReadingRecord[]>;

export interface MemoryOptions {
  readonly sinkEndpoint: string;
  readonly repetitions: number;
  /** Queued message counts, e.g. 100,000 and 1,000,000. */
  readonly counts: readonly number[];
  /** Stream workers for the connection scenario. */
  readonly streamWorkers: number;
  /** Messages published at a time to the stopped stream workers, until some stay queued. */
  readonly inFlightStep: number;
  readonly log: (line: string) => void;
}

const SETTLE_MS = 1_000;

/** A sidecar that fails to start here is killed when the bench exits (processes.ts). */
const untracked = (): void => undefined;
const PAYLOAD_BYTES = 100;

export async function measureMemory(options: MemoryOptions): Promise<MemoryRuns> {
  const runs: MemoryRuns = new Map();
  const record = (id: string, reading: MemoryReadingRecord): void => {
    options.log(`  ${id}: RSS ${(reading.rssBytes / 1024 ** 2).toFixed(0)} MiB`);
    const list = runs.get(id) ?? [];
    list.push(reading);
    runs.set(id, list);
  };
  const sidecarEnv = { ...telemetryEnv('shipped', options.sinkEndpoint), LOG_LEVEL: 'info', PAYLOAD_BYTES, MAX_QUEUED: 10_000_000 };
  for (let rep = 1; rep <= options.repetitions; rep++) {
    options.log(`memory repetition ${rep}/${options.repetitions}`);
    for (const count of options.counts) {
      const sidecar = await launchSidecar({ ...sidecarEnv, PRODUCER_BURST: count }, untracked);
      await sleep(SETTLE_MS);
      record(`burst-${count}`, await readSidecar(sidecar, count));
      await sidecar.proc.kill();
    }

    // Publish: the same sidecar (and the same baseline server) receives the
    // counts in turn, each reading taken once the total is queued.
    {
      const sidecar = await launchSidecar(sidecarEnv, untracked);
      const rpc = createQueueRpc(sidecar.address);
      await sleep(SETTLE_MS);
      record('idle', await readSidecar(sidecar, 0));
      let queued = 0;
      for (const count of options.counts) {
        const cpu0 = cpuSeconds(sidecar.pid);
        await rpc.publish(count - queued, PAYLOAD_BYTES);
        const cpu = cpuSeconds(sidecar.pid) - cpu0;
        const published = count - queued;
        queued = count;
        await sleep(SETTLE_MS);
        record(`publish-${count}`, { ...await readSidecar(sidecar, count), notes: { publishCpuMicrosPerMessage: (cpu * 1e6) / published } });
      }
      rpc.close();
      await sidecar.proc.kill();
    }
    {
      const server = await startBareServer();
      const rpc = createQueueRpc(server.address);
      await sleep(SETTLE_MS);
      record('bare:idle', { ...memory(server.process.pid), messages: 0 });
      let queued = 0;
      for (const count of options.counts) {
        const cpu0 = cpuSeconds(server.process.pid);
        await rpc.publish(count - queued, PAYLOAD_BYTES);
        const cpu = cpuSeconds(server.process.pid) - cpu0;
        const published = count - queued;
        queued = count;
        await sleep(SETTLE_MS);
        record(`bare:publish-${count}`, { ...memory(server.process.pid), messages: count, notes: { publishCpuMicrosPerMessage: (cpu * 1e6) / published } });
      }
      rpc.close();
      await server.process.stop();
    }

    // Many stream workers: first connected and idle, then each holding what
    // the transport lets in while it never reads.
    {
      const sidecar = await launchSidecar(sidecarEnv, untracked);
      const rpc = createQueueRpc(sidecar.address);
      const subscribers = await startSubscribers(sidecar.address, options.streamWorkers, rpc);
      await sleep(SETTLE_MS);
      record(`streams-${options.streamWorkers}`, await readSidecar(sidecar, 0));
      const inFlight = await publishToStoppedReaders(rpc, options.inFlightStep);
      record(`streams-${options.streamWorkers}-stopped`, { ...await readSidecar(sidecar, inFlight.dispatched + inFlight.queued), notes: inFlight });
      rpc.close();
      await subscribers.stop();
      await sidecar.proc.kill();
    }
    {
      const server = await startBareServer();
      const rpc = createQueueRpc(server.address);
      const subscribers = await startSubscribers(server.address, options.streamWorkers, rpc);
      await sleep(SETTLE_MS);
      record(`bare:streams-${options.streamWorkers}`, { ...memory(server.process.pid), messages: 0 });
      const inFlight = await publishToStoppedReaders(rpc, options.inFlightStep);
      record(`bare:streams-${options.streamWorkers}-stopped`, { ...memory(server.process.pid), messages: inFlight.dispatched + inFlight.queued, notes: inFlight });
      rpc.close();
      await subscribers.stop();
      await server.process.stop();
    }
  }
  return runs;
}

async function readSidecar(sidecar: LabSidecar, messages: number): Promise<MemoryReadingRecord> {
  const samples = await scrape(sidecar.metricsPort);
  return { ...memory(sidecar.pid), heapUsedBytes: sum(samples, 'nodejs_heap_size_used_bytes'), messages };
}

async function startBareServer(): Promise<{ process: BareProcess; address: string }> {
  const proc = spawnBare('memory baseline server', baselineScript('server.ts'), []);
  const listening = await proc.waitFor((l) => l.msg === 'listening');
  return { process: proc, address: `127.0.0.1:${Number(listening.port)}` };
}

async function startSubscribers(address: string, count: number, rpc: QueueRpc): Promise<BareProcess> {
  const subscribers = spawnBare('idle subscribers', baselineScript('idle-subscribers.ts'), [address, String(count)]);
  await subscribers.waitFor((l) => l.msg === 'subscribed');
  await waitFor(`${count} stream workers to connect`, async () => {
    const stats = await rpc.stats();
    return stats.workers.filter((w) => w.connected && w.mode === 'stream').length >= count ? true : undefined;
  }, 60_000, 100);
  return subscribers;
}

/**
 * Publishes to readers that never read, `step` messages at a time, until the
 * server stops dispatching with messages still queued: then every stream's
 * buffers and HTTP/2 window are full, and what was dispatched is what the
 * transport holds for stopped readers.
 */
async function publishToStoppedReaders(rpc: QueueRpc, step: number): Promise<{ dispatched: number; queued: number }> {
  const totals = async (): Promise<{ dispatched: number; queued: number }> => {
    const stats = await rpc.stats();
    return { dispatched: Number(stats.totals?.dispatched ?? 0), queued: stats.queueDepth.reduce((n, d) => n + Number(d), 0) };
  };
  const before = (await totals()).dispatched;
  let now = await totals();
  for (let i = 0; i < 10 && now.queued === 0; i++) {
    await rpc.publish(step, PAYLOAD_BYTES);
    let stableSince = performance.now();
    let last = -1;
    now = await waitFor('dispatching to stop', async () => {
      const t = await totals();
      if (t.dispatched !== last) {
        last = t.dispatched;
        stableSince = performance.now();
        return undefined;
      }
      return performance.now() - stableSince >= 500 ? t : undefined;
    }, 60_000, 50);
  }
  await sleep(SETTLE_MS);
  return { dispatched: now.dispatched - before, queued: now.queued };
}
