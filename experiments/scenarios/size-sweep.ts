/**
 * Size sweep (stream mode): how many messages one stopped reader ends up
 * with in transit, for each payload size and window, beside the model of
 * DESIGN.md section 4. Per payload size, one sidecar and one worker per
 * window setting, each worker stuck on its first message (a very long
 * delay), so its call stops pulling; once nothing more is dispatched for a
 * while, in transit = dispatched (Stats) - started (worker metrics).
 */
import { loadContract } from '@backlog-lab/common/contract';
import { round } from '../lib/distribution.ts';
import { nowMs, sleep, startLab } from '../lib/lab.ts';
import { startSampler, type Sample } from '../lib/sampler.ts';
import { predictInTransit, readTransportConstants, type TransportConstants } from '../model.ts';
import type { SizeSweep, SweepPoint } from '../results.ts';
import type { RunContext } from './context.ts';

/** Long enough that the worker never finishes its first message during the measurement. */
const STOPPED_DELAY_MS = 3_600_000;

export async function runSizeSweep(ctx: RunContext): Promise<SizeSweep> {
  const { payloads, windows, settleMs } = ctx.profile.sizeSweep;
  const began = nowMs();
  ctx.progress.begin('size-sweep', 'stream');
  ctx.progress.phase('reading Q, H, W from Node and grpc-js');
  const constants = await readTransportConstants(windows);
  const points: SweepPoint[] = [];
  for (const payloadBytes of payloads) {
    points.push(...await measurePayload(ctx, constants, payloadBytes, settleMs));
  }
  return { constants, points, durationS: round((nowMs() - began) / 1000, 3) };
}

async function measurePayload(ctx: RunContext, constants: TransportConstants, payloadBytes: number, settleMs: number): Promise<SweepPoint[]> {
  ctx.progress.watch(() => '');
  ctx.progress.phase(`payload ${payloadBytes} B: starting`);
  const lab = await startLab({ otlpEndpoint: ctx.receiver.endpoint });
  try {
    const workers = await lab.startWorkers(constants.windows.map((w) => ({
      id: `sweep-${payloadBytes}-win-${w.option}`,
      role: `window ${w.option}`,
      delayMs: STOPPED_DELAY_MS,
      env: { DELIVERY_MODE: 'stream', FLOW_CONTROL_WINDOW: w.option, WORKER_DRAIN_MS: 0, LOG_LEVEL: 'info' },
    })));
    const predicted = constants.windows.map((w) => predictInTransit(constants, payloadBytes, w.streamWindow).total);
    // Enough for every stream to fill, with messages left over in the queue.
    const count = Math.ceil(1.3 * predicted.reduce((a, b) => a + b, 0)) + 50;
    const payload = Buffer.alloc(payloadBytes, 0x61);
    const prefix = `sweep-${payloadBytes}`;
    const batchSize = Math.max(1, Math.min(1000, Math.floor((3 * 1024 * 1024) / (payloadBytes + 64))));
    const t0 = nowMs();
    const sampler = startSampler(lab, t0, ctx.profile.sampleIntervalMs);
    ctx.progress.watch(() => {
      const s = sampler.latest();
      return s ? `${s.queued} queued · in transit: ${workers.map((w) => `${w.role} ${s.workers[w.id]?.inTransit ?? '-'}`).join(', ')}` : '';
    });
    ctx.progress.phase(`payload ${payloadBytes} B: filling ${workers.length} stopped streams`);
    for (let start = 0; start < count; start += batchSize) {
      const n = Math.min(batchSize, count - start);
      await lab.sidecar.admin.publish(Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${String(start + i).padStart(6, '0')}`, priority: 1, payload })));
    }
    const settled = await waitForSettled(() => sampler.sampleNow(), workers.map((w) => w.id), settleMs, ctx.profile.drainTimeoutS);
    await sampler.stop();
    const wireBytes = deliveryWireBytes(`${prefix}-000000`, payload);
    return constants.windows.map((w, i) => {
      const id = workers[i]!.id;
      const sample = settled.workers[id];
      const measured = sample?.inTransit ?? 0;
      const model = predictInTransit(constants, payloadBytes, w.streamWindow);
      return {
        payloadBytes,
        windowOption: w.option,
        streamWindow: w.streamWindow,
        wireBytes,
        measured,
        modelClient: round(model.client, 1),
        model: round(model.centre, 1),
        modelLow: round(model.client + model.serverMin, 1),
        modelHigh: round(model.client + model.serverMax, 1),
        deviation: round((measured - model.centre) / model.centre, 4),
        refinedLow: round(constants.q + (constants.h + w.streamWindow / 2) / wireBytes + 1, 1),
        refinedHigh: round(constants.q + (constants.h + w.streamWindow) / wireBytes + constants.serverBuffer, 1),
        writeBlocked: settled.queued > 0,
      };
    });
  } finally {
    await lab.close();
  }
}

/** Every worker has started its one message and nothing more was dispatched for `settleMs`. */
async function waitForSettled(take: () => Promise<Sample>, workerIds: readonly string[], settleMs: number, timeoutS: number): Promise<Sample> {
  const deadline = performance.now() + timeoutS * 1000;
  let last = '';
  let since = performance.now();
  for (;;) {
    const sample = await take();
    const ready = workerIds.every((id) => (sample.workers[id]?.started ?? 0) >= 1);
    const key = workerIds.map((id) => sample.workers[id]?.dispatched ?? 0).join(',');
    if (key !== last || !ready) {
      last = key;
      since = performance.now();
    } else if (performance.now() - since >= settleMs) {
      return sample;
    }
    if (performance.now() > deadline) throw new Error(`size sweep: streams still moving after ${timeoutS} s`);
    await sleep(50);
  }
}

/** Bytes a Delivery with this id and payload takes on the wire: the encoded message plus gRPC's 5-byte prefix. */
function deliveryWireBytes(id: string, payload: Buffer): number {
  const { Queue } = loadContract();
  const serialize = Queue.service.Subscribe.responseSerialize as (value: unknown) => Buffer;
  const ns = (BigInt(Date.now()) * 1_000_000n).toString();
  return serialize({ id, priority: 1, payload, publishedAtUnixNano: ns, dispatchedAtUnixNano: ns, attempt: 1, traceContext: {} }).length + 5;
}
