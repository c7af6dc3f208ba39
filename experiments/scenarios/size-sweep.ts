/**
 * Size sweep (stream mode): how many messages one stopped reader ends up
 * with in transit, for each payload size and window, beside the backlog
 * model of docs/design.md. Per payload size, one sidecar and one worker per
 * window setting, each worker stuck on its first message (a very long
 * delay), so its call stops pulling; once nothing more is dispatched for a
 * while, in transit = dispatched (Stats) - started (worker metrics).
 */
import { loadContract } from '@backlog-lab/common/contract';
import { round } from '../lib/distribution.ts';
import { nowMs, sleep, startLab } from '../lib/lab.ts';
import { startSampler, type Sample } from '../lib/sampler.ts';
import { predictInTransit, readTransportConstants, type TransportConstants } from '../model.ts';
import { CONFIG, VEGA_LITE_SCHEMA, type Chart } from '../report/chart.ts';
import { formatPercent } from '../report/format.ts';
import { variantKey, variantLabel, type Shown, type Variant } from '../variants/variant.ts';
import type { ScenarioContext, Scenario } from './scenario.ts';

/** Long enough that the worker never finishes its first message during the measurement. */
const STOPPED_DELAY_MS = 3_600_000;

export interface SizeSweepParams {
  readonly payloads: readonly number[];
  /** `grpc-node.flow_control_window` values; 0 = grpc-js's default. */
  readonly windows: readonly number[];
  /** The stream is full once nothing more is dispatched for this long. */
  readonly settleMs: number;
}

export interface SweepPoint {
  readonly payloadBytes: number;
  /** `grpc-node.flow_control_window` given to the worker; 0 = grpc-js default. */
  readonly windowOption: number;
  /** W: the stream window the channel advertised with that option. */
  readonly streamWindow: number;
  /** Encoded Delivery + 5-byte gRPC prefix, for a message of this run. */
  readonly wireBytes: number;
  /** dispatched - started for the stopped reader once nothing more moved. */
  readonly measured: number;
  /** Q + (H + W) / (S + 5), the backlog model: the client side. */
  readonly modelClient: number;
  /** modelClient + the centre of the server's 1..B: the model's single number. */
  readonly model: number;
  /** modelClient + 1 and modelClient + B: the model's range. */
  readonly modelLow: number;
  readonly modelHigh: number;
  /** (measured - model) / model. */
  readonly deviation: number;
  /**
   * The same model with the real wire size, and with Node's http2 returning
   * window only in steps of W/2 (nghttp2 sends WINDOW_UPDATE once half the
   * window is consumed): Q + (H + W/2)/M + 1 .. Q + (H + W)/M + B.
   */
  readonly refinedLow: number;
  readonly refinedHigh: number;
  /** The sidecar's write() had returned false and was waiting for 'drain'. */
  readonly writeBlocked: boolean;
}

export interface SizeSweep {
  readonly variant: Variant;
  readonly constants: TransportConstants;
  readonly points: readonly SweepPoint[];
  readonly durationS: number;
}

const SWEEP_PARAMS: SizeSweepParams = { payloads: [100, 1000, 4096, 16000, 60000], windows: [0, 16 * 1024, 1024 * 1024], settleMs: 1000 };

export const sizeSweep: Scenario<'size-sweep', SizeSweep, SizeSweepParams> = {
  id: 'size-sweep',
  title: 'Size sweep: the backlog model',
  // It measures the buffers of a stopped stream reader, whatever --mode asks for.
  modes: ['stream'],
  profile: { default: SWEEP_PARAMS, quick: SWEEP_PARAMS },

  async run(ctx, variant) {
    const { payloads, windows, settleMs } = ctx.params;
    const began = nowMs();
    ctx.progress.begin('size-sweep', variantKey(variant));
    ctx.progress.phase('reading Q, H, W from Node and grpc-js');
    const constants = await readTransportConstants(windows);
    const points: SweepPoint[] = [];
    for (const payloadBytes of payloads) {
      points.push(...await measurePayload(ctx, variant, constants, payloadBytes, settleMs));
    }
    return { variant, constants, points, durationS: round((nowMs() - began) / 1000, 3) };
  },

  note: (sweep) => sweep.points.map((p) => `${p.payloadBytes}B/${p.windowOption || 'default'} ${p.measured} (model ${p.model})`).join(', '),

  conclude({ entries, profile }) {
    return entries.flatMap(({ run, variant }) => {
      const sentence = sweepSentence(run, variant, profile.payloadBytes);
      return sentence ? [sentence] : [];
    });
  },

  section({ runs, label, chart, link }) {
    if (runs.length === 0) return [];
    const out = [`## ${sizeSweep.title}`, '', ...chart('size-sweep')];
    out.push(`The model is the one of [docs/design.md](${link('docs/design.md#the-backlog-model')}); its constants are read from the running Node and grpc-js by \`experiments/model.ts\` rather than typed in.`, '');
    for (const sweep of runs) {
      if (runs.length > 1) out.push(`### ${label(sweep.variant)}`, '');
      out.push(...sweepTables(sweep));
    }
    return out;
  },

  charts: (runs, shown) => (runs.some((r) => r.points.length > 0) ? [sizeSweepChart(runs, shown)] : []),
};

async function measurePayload(ctx: ScenarioContext<SizeSweepParams>, variant: Variant, constants: TransportConstants, payloadBytes: number, settleMs: number): Promise<SweepPoint[]> {
  ctx.progress.watch(() => '');
  ctx.progress.phase(`payload ${payloadBytes} B: starting`);
  const lab = await startLab({ variant, otlpEndpoint: ctx.receiver.endpoint });
  try {
    const workers = await lab.startWorkers(constants.windows.map((w) => ({
      id: `sweep-${payloadBytes}-win-${w.option}`,
      role: `window ${w.option}`,
      delayMs: STOPPED_DELAY_MS,
      env: { FLOW_CONTROL_WINDOW: w.option, WORKER_DRAIN_MS: 0, LOG_LEVEL: 'info' },
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

function sweepSentence(sweep: SizeSweep, variant: Variant, payloadBytes: number): string | undefined {
  if (sweep.points.length === 0) return undefined;
  const big = sweep.points.filter((p) => p.payloadBytes >= 1000);
  const worst = (list: readonly SweepPoint[]): number => Math.max(0, ...list.map((p) => Math.abs(p.deviation)));
  const inside = sweep.points.filter((p) => p.measured >= p.refinedLow && p.measured <= p.refinedHigh).length;
  const c = sweep.constants;
  const small = sweep.points.filter((p) => p.payloadBytes < 1000);
  const smallest = small.length > 0 ? Math.min(...small.map((p) => p.payloadBytes)) : undefined;
  const wire = small[0]?.wireBytes;
  const ceiling = sweep.points.find((p) => p.payloadBytes === payloadBytes && p.windowOption === 0);
  const lead = ceiling ? `A stopped \`${variant.mode}\` reader of ${payloadBytes}-byte messages ended up with ${ceiling.measured} in transit: only the HTTP/2 window and the buffers, counted in bytes, limit that number. ` : '';
  return `**The model.** ${lead}With Q = ${c.q}, H = ${c.h} and W as read from Node ${c.nodeVersion} and grpc-js ${c.grpcJsVersion}, Q + (H + W)/(S + 5) plus the middle of the server's 1..${c.serverBuffer} matched the stopped reader within ${Math.round(worst(big) * 100)} % for payloads of 1000 bytes and more${smallest !== undefined ? `, and within ${Math.round(worst(small) * 100)} % at ${smallest} bytes, where a Delivery is really ${wire} bytes on the wire, not ${smallest + 5}` : ''}. With the real wire size and Node's http2 returning window in steps of W/2, ${inside} of ${sweep.points.length} measurements fall inside the model's range.${windowSentence(sweep)} Only credits bound it by count.`;
}

/** What shrinking the window did for 1000-byte messages, against the floor Q + H/(S + 5) it cannot remove. */
function windowSentence(sweep: SizeSweep): string {
  const at = sweep.points.filter((p) => p.payloadBytes === 1000);
  const base = at.find((p) => p.windowOption === 0);
  const small = at.filter((p) => p.windowOption > 0 && p.streamWindow < (base?.streamWindow ?? 0)).sort((a, b) => a.streamWindow - b.streamWindow)[0];
  if (!base || !small) return '';
  const floor = Math.round(sweep.constants.q + sweep.constants.h / (1000 + 5));
  return ` Shrinking the window to ${small.streamWindow} bytes took 1000-byte messages only from ${base.measured} to ${small.measured} in transit: Q + H/(S + 5) = ${floor} stays whatever the window.`;
}

function sweepTables(sweep: SizeSweep): string[] {
  const c = sweep.constants;
  const out: string[] = [];
  out.push('| constant | value | read from |', '|---|---|---|');
  out.push(`| Q | ${c.q} messages | \`readableHighWaterMark\` of a real grpc-js client call (object mode) |`);
  out.push(`| H | ${c.h} bytes | \`readableHighWaterMark\` of a real Node \`ClientHttp2Stream\`, the kind grpc-js pauses |`);
  out.push(`| B | ${c.serverBuffer} messages | \`writableHighWaterMark\` of a real grpc-js server call: \`write()\` returns false at B |`);
  for (const w of c.windows) {
    out.push(`| W, option ${w.option === 0 ? 'unset' : w.option} | ${w.streamWindow} bytes (connection: ${w.connectionWindow}) | SETTINGS_INITIAL_WINDOW_SIZE a raw HTTP/2 server received from a grpc-js channel with \`grpc-node.flow_control_window\` ${w.option === 0 ? 'unset' : `= ${w.option}`} |`);
  }
  out.push('');
  out.push(`Model: Q + (H + W)/(S + 5) on the client, plus 1..${c.serverBuffer} on the server; its single number is the centre of that range, and the deviation is measured against it. Refined range: the real size of a Delivery on the wire (M, encoded with the contract) instead of S + 5, and Node's http2 returning window to the sender only once half of it is consumed (nghttp2 sends WINDOW_UPDATE at W/2), so the client holds H + W/2 to H + W bytes: Q + (H + W/2)/M + 1 .. Q + (H + W)/M + ${c.serverBuffer}.`, '');
  out.push('| payload S | window W | wire bytes M | measured | model (client + server range) | deviation | refined range | inside refined |', '|---|---|---|---|---|---|---|---|');
  for (const p of sweep.points) {
    const inside = p.measured >= p.refinedLow && p.measured <= p.refinedHigh;
    out.push(`| ${p.payloadBytes} | ${p.streamWindow} | ${p.wireBytes} | **${p.measured}** | ${p.model} (${p.modelClient} + 1..${c.serverBuffer}: ${p.modelLow}..${p.modelHigh}) | ${formatPercent(p.deviation)} | ${p.refinedLow}..${p.refinedHigh} | ${inside ? 'yes' : 'no'} |`);
  }
  out.push('');
  return out;
}

function sizeSweepChart(runs: readonly SizeSweep[], shown: Shown): Chart {
  const label = (option: number): string => (option === 0 ? 'window: grpc-js default' : option >= 1024 * 1024 ? `window ${option / (1024 * 1024)} MiB` : `window ${option / 1024} KiB`);
  const values = runs.flatMap((sweep) => sweep.points.map((p) => ({
    variant: variantLabel(sweep.variant, shown),
    window: label(p.windowOption),
    order: p.windowOption,
    payload: p.payloadBytes,
    measured: p.measured,
    model: p.model,
    low: p.modelLow,
    high: p.modelHigh,
  })));
  const x = { field: 'payload', type: 'quantitative' as const, title: 'payload bytes (log)', scale: { type: 'log' as const } };
  const column = { field: 'window', type: 'nominal' as const, sort: { field: 'order' }, title: null };
  return {
    name: 'size-sweep',
    title: 'Size sweep: predicted vs measured in transit for one stopped reader',
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      title: { text: 'Size sweep: predicted vs measured in transit for one stopped reader (stream mode)', subtitle: 'band: Q + (H + W)/(S + 5) plus 1..16 on the server; line: its centre; dots: measured' },
      data: { values },
      // One row per stack or queue only when the sweep ran on more than one.
      facet: runs.length > 1 ? { row: { field: 'variant', type: 'nominal', title: null }, column } : { column },
      spec: {
        width: 220,
        height: 240,
        layer: [
          { mark: { type: 'area', opacity: 0.25, color: '#1f77b4' }, encoding: { x, y: { field: 'low', type: 'quantitative', title: 'messages in transit (log)', scale: { type: 'log' } }, y2: { field: 'high' } } },
          { mark: { type: 'line', color: '#1f77b4', strokeDash: [4, 3] }, encoding: { x, y: { field: 'model', type: 'quantitative' } } },
          { mark: { type: 'point', filled: true, size: 60, color: '#d62728' }, encoding: { x, y: { field: 'measured', type: 'quantitative' } } },
          { mark: { type: 'text', dx: 8, align: 'left', fontSize: 10, color: '#d62728' }, encoding: { x, y: { field: 'measured', type: 'quantitative' }, text: { field: 'measured', type: 'quantitative' } } },
        ],
      },
      resolve: { scale: { y: 'independent' } },
      config: CONFIG,
    },
  };
}
