/**
 * Size sweep (stream mode): how many messages one stopped reader ends up
 * with in transit, per payload size and per transport setting, beside the
 * form of the backlog model (docs/design.md#the-backlog-model) that applies
 * to the stack. Per payload size, one sidecar and one worker per setting,
 * each stuck on its first message (a very long delay), so its call stops
 * pulling. Each worker connects through a frame tap (lib/frame-tap.ts) that
 * reads, on that very connection, the windows the worker advertised and the
 * messages the sidecar sent. Once nothing more is dispatched for a while
 * (with messages still queued, so every stream is full), in transit =
 * dispatched (Stats) - started (worker metrics).
 *
 * What a stack sweeps and how its count is predicted is its own
 * (size-sweep/): the stack's entry in variants/stacks.ts names its form of
 * the model, and this file only measures and lays out.
 */
import { round } from '../lib/distribution.ts';
import { startFrameTap, type FrameTap } from '../lib/frame-tap.ts';
import { nowMs, scrapeWorker, sleep, startLab, type Lab } from '../lib/lab.ts';
import { startSampler, type Sample } from '../lib/sampler.ts';
import { CONFIG, VEGA_LITE_SCHEMA, type Chart } from '../report/chart.ts';
import { formatPercent } from '../report/format.ts';
import { STACKS, type BacklogModelId } from '../variants/stacks.ts';
import { variantKey, variantLabel, type Shown, type Variant } from '../variants/variant.ts';
import type { ScenarioContext, Scenario } from './scenario.ts';
import { modelOf, SWEEP_MODELS } from './size-sweep/models.ts';
import { count, isStackDefault, settingEnv, settingId, settingLabel, type SizeSweep, type SizeSweepOf, type SizeSweepParams, type StackSweepParams, type SweepMeasurement, type SweepModel, type SweepPointOf, type SweepSetting } from './size-sweep/types.ts';

export type { SizeSweep, SizeSweepParams, SweepPoint } from './size-sweep/types.ts';

/** Long enough that the worker never finishes its first message during the measurement. */
const STOPPED_DELAY_MS = 3_600_000;
/** Top-ups when every message was dispatched before the streams were full (a window grew past the first burst). */
const MAX_TOP_UPS = 6;

const GRPC_JS: StackSweepParams = {
  payloads: [100, 1000, 4096, 16000, 60000],
  settings: [{ flowControlWindow: 0 }, { flowControlWindow: 16 * 1024 }, { flowControlWindow: 1024 * 1024 }],
};
const BDP_ON: SweepSetting = { flowControlWindow: 0, bdpProbe: true };
const BDP_OFF: SweepSetting = { flowControlWindow: 0, bdpProbe: false };

const SWEEP_PARAMS: SizeSweepParams = {
  stacks: {
    'grpc-js': GRPC_JS,
    // What decides a C-core backlog: BDP probing, and with it off the window set.
    'c-core': { payloads: [100, 1000, 16000], settings: [BDP_ON, BDP_OFF, { flowControlWindow: 16 * 1024, bdpProbe: false }, { flowControlWindow: 1024 * 1024, bdpProbe: false }] },
  },
  settleMs: 1000,
};
const QUICK_PARAMS: SizeSweepParams = {
  stacks: { 'grpc-js': GRPC_JS, 'c-core': { payloads: [100], settings: [BDP_ON, BDP_OFF] } },
  settleMs: 1000,
};

export const sizeSweep: Scenario<'size-sweep', SizeSweep, SizeSweepParams> = {
  id: 'size-sweep',
  title: 'Size sweep: the backlog model, per stack',
  // It measures the buffers of a stopped stream reader, whatever --mode asks for.
  modes: ['stream'],
  profile: { default: SWEEP_PARAMS, quick: QUICK_PARAMS },

  // The stack's form of the model decides the run's type; runSweep is
  // generic in it, and its result is one member of the SizeSweep union.
  run: (ctx, variant) => runSweep(ctx, variant, SWEEP_MODELS[STACKS[variant.stack].backlogModel]) as Promise<SizeSweep>,

  note: (sweep) => sweep.points.map((p) => `${p.payloadBytes}B/${settingLabel(p.setting)} ${p.measured} (model ${p.prediction.centre})`).join(', '),

  conclude({ entries, profile }) {
    return entries.flatMap(({ run }) => {
      const sentence = modelOf(run).sentence(run, profile.payloadBytes);
      return sentence ? [sentence] : [];
    });
  },

  section({ runs, profile, label, chart, link }) {
    if (runs.length === 0) return [];
    const out = [`## ${sizeSweep.title}`, ''];
    out.push(`Each stack's count is predicted with the form of the model of [docs/design.md](${link('docs/design.md#the-backlog-model')}) its client follows (\`backlogModel\` in \`experiments/variants/stacks.ts\`), with constants read from the running libraries rather than typed in. Every stopped worker connects to the sidecar through a frame tap (\`experiments/lib/frame-tap.ts\`) that forwards its bytes unchanged and reads, on that connection, the windows the worker advertised and the messages sent to it: "left the sidecar" counts those whole messages (the one in hand among them), "still in it" is the rest of what was dispatched.`, '');
    out.push(...comparison(runs, profile.payloadBytes, label), '');
    for (const sweep of runs) {
      if (runs.length > 1) out.push(`### ${label(sweep.variant)}: ${SWEEP_MODELS[sweep.model].formula}`, '');
      out.push(...chart(chartName(sweep.variant)));
      out.push(...modelOf(sweep).tables(sweep));
    }
    return out;
  },

  charts: (runs, shown) => runs.filter((r) => r.points.length > 0).map((r) => sweepChart(r, shown)),
};

async function runSweep<F extends BacklogModelId>(ctx: ScenarioContext<SizeSweepParams>, variant: Variant, model: SweepModel<F>): Promise<SizeSweepOf<F>> {
  const { payloads, settings } = ctx.params.stacks[variant.stack];
  const began = nowMs();
  ctx.progress.begin('size-sweep', variantKey(variant));
  ctx.progress.phase(`reading the constants of the ${model.id} model`);
  const constants = await model.readConstants(settings);
  const points: SweepPointOf<F>[] = [];
  let clientVersion = 'unknown';
  for (const payloadBytes of payloads) {
    const measured = await measurePayload(ctx, variant, payloadBytes, settings, (s) => model.expected(constants, s, payloadBytes));
    clientVersion = measured.clientVersion;
    for (const m of measured.points) {
      const prediction = model.predict(constants, m);
      points.push({ ...m, prediction, deviation: round((m.measured - prediction.centre) / prediction.centre, 4) });
    }
  }
  return { variant, model: model.id, constants, clientVersion, points, durationS: round((nowMs() - began) / 1000, 3) };
}

async function measurePayload(ctx: ScenarioContext<SizeSweepParams>, variant: Variant, payloadBytes: number, settings: readonly SweepSetting[], expected: (s: SweepSetting) => number): Promise<{ clientVersion: string; points: SweepMeasurement[] }> {
  ctx.progress.watch(() => '');
  ctx.progress.phase(`payload ${payloadBytes} B: starting`);
  const lab = await startLab({ variant, otlpEndpoint: ctx.receiver.endpoint });
  const taps: FrameTap[] = [];
  try {
    // The burst is queued before the workers connect, so each stream is
    // filled as fast as the sidecar can write, as a backlog meets a worker
    // that joins: how far BDP probing grows a window depends on that rate.
    // Enough for every stream to fill, with messages left over in the queue.
    ctx.progress.phase(`payload ${payloadBytes} B: queueing the burst`);
    const publisher = burstPublisher(lab, payloadBytes);
    await publisher.publish(Math.ceil(1.3 * settings.reduce((n, s) => n + expected(s), 0)) + 50);
    for (const _ of settings) taps.push(await startFrameTap(lab.sidecar.grpcPort));
    ctx.progress.phase(`payload ${payloadBytes} B: filling ${settings.length} stopped streams`);
    const workers = await lab.startWorkers(settings.map((setting, i) => ({
      id: `sweep-${payloadBytes}-${settingId(setting)}`,
      role: settingLabel(setting),
      delayMs: STOPPED_DELAY_MS,
      env: { ...settingEnv(setting), SIDECAR_ADDRESS: `127.0.0.1:${taps[i]!.port}`, WORKER_DRAIN_MS: 0, LOG_LEVEL: 'info' },
    })));
    const sampler = startSampler(lab, nowMs(), ctx.profile.sampleIntervalMs);
    ctx.progress.watch(() => {
      const s = sampler.latest();
      return s ? `${s.queued} queued · in transit: ${workers.map((w) => `${w.role} ${s.workers[w.id]?.inTransit ?? '-'}`).join(', ')}` : '';
    });
    const ids = workers.map((w) => w.id);
    let settled = await waitForSettled(() => sampler.sampleNow(), ids, ctx.params.settleMs, ctx.profile.drainTimeoutS);
    for (let round = 0; settled.queued === 0 && round < MAX_TOP_UPS; round++) {
      // Everything was dispatched: a stream may still have had room.
      const more = Math.max(1000, Math.ceil(publisher.published() / 2));
      ctx.progress.phase(`payload ${payloadBytes} B: the queue ran dry, ${more} more`);
      await publisher.publish(more);
      settled = await waitForSettled(() => sampler.sampleNow(), ids, ctx.params.settleMs, ctx.profile.drainTimeoutS);
    }
    await sampler.stop();
    const info = workers[0] ? (await scrapeWorker(workers[0]))?.find((m) => m.name === 'worker_info') : undefined;
    return {
      clientVersion: info?.labels.grpc_version ?? 'unknown',
      points: settings.map((setting, i) => {
        const id = ids[i]!;
        const sample = settled.workers[id];
        const measured = sample?.inTransit ?? 0;
        const started = sample?.started ?? 0;
        const wire = taps[i]!.windows();
        if (wire.messagesSent === 0) throw new Error(`size sweep: no whole message reached ${id} through its tap`);
        return {
          payloadBytes,
          setting,
          measured,
          started,
          wire,
          wireBytes: round(wire.messageBytesSent / wire.messagesSent, 2),
          leftSidecar: wire.messagesSent,
          inSidecar: measured + started - wire.messagesSent,
          writeBlocked: settled.queued > 0,
        };
      }),
    };
  } finally {
    await lab.close();
    await Promise.all(taps.map((t) => t.close()));
  }
}

/** Publishes payload-sized messages with ids that go on counting across calls. */
function burstPublisher(lab: Lab, payloadBytes: number): { publish(n: number): Promise<void>; published(): number } {
  const payload = Buffer.alloc(payloadBytes, 0x61);
  const batchSize = Math.max(1, Math.min(1000, Math.floor((3 * 1024 * 1024) / (payloadBytes + 64))));
  let next = 0;
  return {
    async publish(n) {
      const end = next + n;
      while (next < end) {
        const from = next;
        const size = Math.min(batchSize, end - from);
        await lab.sidecar.admin.publish(Array.from({ length: size }, (_, i) => ({ id: `sweep-${payloadBytes}-${String(from + i).padStart(6, '0')}`, priority: 1, payload })));
        next = from + size;
      }
    },
    published: () => next,
  };
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

/** Each stack with its defaults at the profile's payload size, side by side: the figure the README quotes. */
function comparison(runs: readonly SizeSweep[], payloadBytes: number, label: (v: Variant) => string): string[] {
  const rows = runs.flatMap((run) => run.points.filter((p) => p.payloadBytes === payloadBytes).map((p) => ({ run, p })));
  if (rows.length === 0) return [];
  const out = [`At ${payloadBytes} bytes, one stopped reader per setting:`, '', '| variant | setting | measured in transit | predicted | deviation | stream window once stalled |', '|---|---|---|---|---|---|'];
  for (const { run, p } of rows) {
    const setting = `${settingLabel(p.setting)}${isStackDefault(p.setting) ? ' (the stack\'s default)' : ''}`;
    out.push(`| ${label(run.variant)} | ${setting} | **${count(p.measured)}** | ${count(p.prediction.centre)} | ${formatPercent(p.deviation)} | ${count(p.wire.grownStreamWindow)} bytes |`);
  }
  return out;
}

function chartName(variant: Variant): string {
  return `size-sweep-${variant.stack}-${variant.queue}`;
}

/** One chart per stack: a column per setting, payload size across, the model's range and centre, the measurements as dots. */
function sweepChart(run: SizeSweep, shown: Shown): Chart {
  const settings: SweepSetting[] = [];
  for (const p of run.points) if (!settings.some((s) => settingId(s) === settingId(p.setting))) settings.push(p.setting);
  const values = run.points.map((p) => ({
    setting: settingLabel(p.setting),
    order: settings.findIndex((s) => settingId(s) === settingId(p.setting)),
    payload: p.payloadBytes,
    measured: p.measured,
    model: p.prediction.centre,
    low: p.prediction.low,
    high: p.prediction.high,
  }));
  const x = { field: 'payload', type: 'quantitative' as const, title: 'payload bytes (log)', scale: { type: 'log' as const } };
  const y = { field: 'low', type: 'quantitative' as const, title: 'messages in transit (log)', scale: { type: 'log' as const } };
  const name = variantLabel(run.variant, { ...shown, stack: true });
  return {
    name: chartName(run.variant),
    title: `Size sweep, ${name}: predicted vs measured in transit for one stopped reader`,
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      title: { text: `Size sweep, ${name}: predicted vs measured in transit for one stopped reader`, subtitle: `band and bar: ${SWEEP_MODELS[run.model].formula}; line and tick: its centre; dots: measured` },
      data: { values },
      facet: { column: { field: 'setting', type: 'nominal', sort: { field: 'order' }, title: null } },
      spec: {
        width: 220,
        height: 240,
        layer: [
          { mark: { type: 'area', opacity: 0.25, color: '#1f77b4' }, encoding: { x, y, y2: { field: 'high' } } },
          { mark: { type: 'rule', color: '#1f77b4', strokeWidth: 3, opacity: 0.5 }, encoding: { x, y, y2: { field: 'high' } } },
          { mark: { type: 'line', color: '#1f77b4', strokeDash: [4, 3] }, encoding: { x, y: { field: 'model', type: 'quantitative' } } },
          { mark: { type: 'tick', color: '#1f77b4', thickness: 2, size: 14 }, encoding: { x, y: { field: 'model', type: 'quantitative' } } },
          { mark: { type: 'point', filled: true, size: 60, color: '#d62728' }, encoding: { x, y: { field: 'measured', type: 'quantitative' } } },
          { mark: { type: 'text', dx: 8, align: 'left', fontSize: 10, color: '#d62728' }, encoding: { x, y: { field: 'measured', type: 'quantitative' }, text: { field: 'measured', type: 'quantitative' } } },
        ],
      },
      resolve: { scale: { y: 'independent' } },
      config: CONFIG,
    },
  };
}
