/**
 * Checks the C-core form of the model against the real thing: for each
 * setting, the window a C-core worker grows to (readCcoreWindow, against a
 * raw server), the in-transit count predicted from it, and the in-transit
 * count measured with the real sidecar and the real Python worker (stream
 * mode, a worker that takes one message and then works on it for an hour,
 * Stats' in_flight once dispatch has held still). A frame tap between the
 * worker and the sidecar (startFrameTap) also reads the window the worker
 * grew against the real sidecar, and how many of the messages in transit
 * had left the sidecar process (DATA bytes over the wire size) and how many
 * were still in its buffers. The grpc-js worker is measured beside it for
 * scale.
 *
 *   node experiments/c-core-window-check.ts [--burst N] [--payload BYTES]
 *
 * Prints one JSON line per setting and a Markdown table. The burst must be
 * larger than the largest window holds, or the measurement is the burst.
 */
import type { Delivery__Output } from '@backlog-lab/common/contract';
import { loadContract } from '@backlog-lab/common/contract';
import { createAdminClient, waitForSteady, workerStats } from '@backlog-lab/harness/admin-client';
import { startSidecar, startWorker, type Stack } from '@backlog-lab/harness/lab-services';
import { numberOption, parseFlags } from '../tools/lib/cli.ts';
import { GRPC_PREFIX_BYTES, predictCcoreInTransit, readCcoreWindow, startFrameTap, windowsOf, type CcoreWindowReading, type ConnectionWindows } from './c-core-window.ts';

const values = parseFlags(process.argv.slice(2), { burst: { type: 'string' }, payload: { type: 'string' } });
const burst = numberOption(values.burst, {}, { flag: 'burst', default: 150_000, min: 1_000, max: 2_000_000 });
const payloadBytes = numberOption(values.payload, {}, { flag: 'payload', default: 100, min: 0, max: 100_000 });

interface Setting {
  readonly label: string;
  readonly stack: Stack;
  readonly env: Readonly<Record<string, string | number>>;
  readonly window?: { bdpProbe: boolean; flowControlWindow?: number };
}

const SETTINGS: readonly Setting[] = [
  { label: 'grpc-js (default window)', stack: 'grpc-js', env: {} },
  { label: 'c-core, BDP_PROBE=on (default)', stack: 'c-core', env: { BDP_PROBE: 'on' }, window: { bdpProbe: true } },
  { label: 'c-core, BDP_PROBE=off', stack: 'c-core', env: { BDP_PROBE: 'off' }, window: { bdpProbe: false } },
  { label: 'c-core, BDP_PROBE=off, FLOW_CONTROL_WINDOW=1 MiB', stack: 'c-core', env: { BDP_PROBE: 'off', FLOW_CONTROL_WINDOW: 1_048_576 }, window: { bdpProbe: false, flowControlWindow: 1_048_576 } },
];

/** One Delivery as the sidecar writes it, taken with a throwaway Subscribe: its size on the wire. */
async function sidecarWireBytes(address: string): Promise<number> {
  const admin = createAdminClient(address);
  try {
    await admin.publishMany(1, { payloadBytes });
    const { Queue } = loadContract();
    const delivery = await new Promise<Delivery__Output>((resolve, reject) => {
      const call = admin.raw.Subscribe({ workerId: 'wire-size-probe' });
      call.on('data', (d: Delivery__Output) => { resolve(d); call.cancel(); });
      call.on('error', (error: Error & { code?: number }) => { if (error.code !== 1) reject(error); });
    });
    return GRPC_PREFIX_BYTES + Queue.service.Subscribe.responseSerialize(delivery).length;
  } finally {
    admin.close();
  }
}

interface Measured {
  readonly inFlight: number;
  readonly wireBytes: number;
  /** The windows the worker advertised to the real sidecar (tap). */
  readonly sidecar: ConnectionWindows;
  /** Messages that had left the sidecar process (in the network or the client). */
  readonly leftSidecar: number;
  /** Messages dispatched but still in the sidecar's own buffers (grpc-js call, Node's HTTP/2 stream). */
  readonly inSidecar: number;
}

async function measure(setting: Setting): Promise<Measured> {
  const sidecar = await startSidecar({ MAX_QUEUED: burst + 10 });
  const admin = createAdminClient(sidecar.address);
  const tap = await startFrameTap(sidecar.grpcPort);
  try {
    const wireBytes = await sidecarWireBytes(sidecar.address);
    await admin.publishMany(burst, { payloadBytes });
    const worker = await startWorker(`127.0.0.1:${tap.port}`, 'held', { ...setting.env, DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 3_600_000, LOG_LEVEL: 'info' }, { stack: setting.stack, readyTimeoutMs: 60_000 });
    try {
      await waitForSteady('dispatch to the held worker', async () => Number(workerStats(await admin.stats(), 'held').dispatched), 2_000, 60_000);
      const inFlight = Number(workerStats(await admin.stats(), 'held').inFlight);
      const sidecarWindows = windowsOf(tap.log);
      const leftSidecar = Math.round(sidecarWindows.streamBytesSent / wireBytes);
      return { inFlight, wireBytes, sidecar: sidecarWindows, leftSidecar, inSidecar: inFlight - leftSidecar };
    } finally {
      await worker.kill();
    }
  } finally {
    admin.close();
    await tap.close();
    await sidecar.kill();
  }
}

const rows: string[] = [];
for (const setting of SETTINGS) {
  const reading: CcoreWindowReading | undefined = setting.window ? await readCcoreWindow({ ...setting.window, payloadBytes }) : undefined;
  const measured = await measure(setting);
  const prediction = reading ? predictCcoreInTransit(reading.grownStreamWindow, measured.wireBytes) : undefined;
  const withSidecarWindow = predictCcoreInTransit(measured.sidecar.grownStreamWindow, measured.wireBytes);
  console.log(JSON.stringify({ setting: setting.label, burst, payloadBytes, reading, prediction, measured, withSidecarWindow }));
  const range = (p: { client: number; serverMin: number; total: number }): string => `${p.client + p.serverMin}..${p.total}`;
  const window = reading ? `${reading.initialStreamWindow} → ${reading.grownStreamWindow}` : 'n/a';
  const whole = measured.inFlight >= burst - 20 ? ' (the whole burst)' : '';
  rows.push(`| ${setting.label} | ${window} | ${measured.sidecar.grownStreamWindow} | ${measured.wireBytes} | ${prediction ? range(prediction) : ''} | ${range(withSidecarWindow)} | ${measured.inFlight}${whole} | ${measured.leftSidecar} + ${measured.inSidecar} |`);
}
console.log([
  '', `burst ${burst} messages of ${payloadBytes} bytes`, '',
  '| setting | stream window vs raw server, initial → grown | grown vs the sidecar | wire bytes per message | predicted (raw-server window) | predicted (sidecar window) | measured in transit | of which left the sidecar + still in it |',
  '|---|--:|--:|--:|--:|--:|--:|--:|',
  ...rows,
].join('\n'));
