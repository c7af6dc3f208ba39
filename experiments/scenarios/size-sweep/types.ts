/**
 * The size sweep's types: what it sweeps per stack, what it measures for
 * every stopped reader whatever the stack, and what each form of the
 * backlog model predicts from it. A stack's entry in variants/stacks.ts
 * names its form (`backlogModel`); models.ts maps each form to its
 * SweepModel, the strategy that reads its constants, predicts, and writes
 * its tables and sentence. The scenario itself (../size-sweep.ts) never asks
 * which stack it measures.
 */
import type { ConnectionWindows } from '../../lib/frame-tap.ts';
import type { Env } from '../../lib/lab.ts';
import type { TransportConstants } from '../../model.ts';
import type { BacklogModelId, StackId } from '../../variants/stacks.ts';
import type { Variant } from '../../variants/variant.ts';

/** One worker's transport settings: the variables of the README's worker table that decide its window. */
export interface SweepSetting {
  /** FLOW_CONTROL_WINDOW, in bytes; 0: not set (the stack's default). */
  readonly flowControlWindow: number;
  /** BDP_PROBE, for a stack that has it (c-core); absent: not set. */
  readonly bdpProbe?: boolean;
}

export interface StackSweepParams {
  readonly payloads: readonly number[];
  /** One stopped worker per setting, side by side on one sidecar per payload size. */
  readonly settings: readonly SweepSetting[];
}

export interface SizeSweepParams {
  /** What each stack sweeps: a stack without an entry does not compile. */
  readonly stacks: Readonly<Record<StackId, StackSweepParams>>;
  /** The streams are full once nothing more is dispatched for this long. */
  readonly settleMs: number;
}

/** What was measured for one stopped reader, the same for every stack. */
export interface SweepMeasurement {
  readonly payloadBytes: number;
  readonly setting: SweepSetting;
  /** In transit: dispatched (Stats) - started (the worker's metrics), once nothing more moved. */
  readonly measured: number;
  /** What the worker had started: its one message, in its hands for an hour. */
  readonly started: number;
  /** The windows the worker advertised on its connection to the sidecar, and what the sidecar sent on it (frame tap). */
  readonly wire: ConnectionWindows;
  /** M: the mean size of one message on the wire (prefix + Delivery), over the messages the tap counted. */
  readonly wireBytes: number;
  /** Whole messages that had left the sidecar (the one in hand among them). */
  readonly leftSidecar: number;
  /** Dispatched but still in the sidecar's buffers: dispatched - leftSidecar (the one cut off by the window's end among them). */
  readonly inSidecar: number;
  /** Messages were still queued: the sidecar was waiting for 'drain', so every stream was full. */
  readonly writeBlocked: boolean;
}

/** What every form predicts: a range of in-transit counts and its centre, the model's single number. */
export interface PredictionRange {
  readonly low: number;
  readonly high: number;
  readonly centre: number;
}

/** grpc-js on Node's http2: Q + (H + W)/M on the client, plus 1..B in the sidecar. */
export interface CallBuffersPrediction extends PredictionRange {
  readonly form: 'call-buffers';
  /** Messages the client call buffers; bytes Node's http2 stream buffers; messages the sidecar's server call buffers. */
  readonly q: number;
  readonly h: number;
  readonly b: number;
  /** W: the stream window a grpc-js channel advertises with this setting, read from the library (model.ts). */
  readonly w: number;
  /** Q + (H + W)/M. */
  readonly client: number;
  /**
   * With Node's http2 returning window in steps of W/2 (nghttp2 sends
   * WINDOW_UPDATE once half the window is consumed), the client holds
   * H + W/2 to H + W bytes: Q + (H + W/2)/M + 1 .. Q + (H + W)/M + B.
   */
  readonly refinedLow: number;
  readonly refinedHigh: number;
}

/** A transport that keeps unread bytes inside its window and grows it by BDP probing (C-core): floor(window/M) - 1 + 1..B. */
export interface GrownWindowPrediction extends PredictionRange {
  readonly form: 'grown-window';
  readonly b: number;
  /** The window it predicts from: the stream's credit once it stalled, read on the wire. */
  readonly window: number;
  /** floor(window / M): whole messages the window let through. */
  readonly client: number;
  /** The same from the stream's first window (its first SETTINGS): what it would have held had the window not grown. */
  readonly fromInitial: PredictionRange & { readonly window: number };
}

/** What the grown-window form reads beside the wire: B, from the sidecar's grpc-js. */
export interface GrownWindowConstants {
  readonly nodeVersion: string;
  readonly grpcJsVersion: string;
  readonly serverBuffer: number;
}

/** Each form's constants (read once per run) and prediction (one per point). */
export interface BacklogForms {
  'call-buffers': { readonly constants: TransportConstants; readonly prediction: CallBuffersPrediction };
  'grown-window': { readonly constants: GrownWindowConstants; readonly prediction: GrownWindowPrediction };
}

// Indexed by every form a stack can name: a form without its types here does not compile.
export type ConstantsOf<F extends BacklogModelId> = BacklogForms[F]['constants'];
export type PredictionOf<F extends BacklogModelId> = BacklogForms[F]['prediction'];

/** One point: the measurement, the model that applies with the constants it read, and how far apart they are. */
export interface SweepPointOf<F extends BacklogModelId> extends SweepMeasurement {
  readonly prediction: PredictionOf<F>;
  /** (measured - prediction.centre) / prediction.centre. */
  readonly deviation: number;
}

export interface SizeSweepOf<F extends BacklogModelId> {
  readonly variant: Variant;
  /** The form of the model that applies to this stack (its entry in variants/stacks.ts). */
  readonly model: F;
  readonly constants: ConstantsOf<F>;
  /** The worker's gRPC library and version (its worker_info metric). */
  readonly clientVersion: string;
  readonly points: readonly SweepPointOf<F>[];
  readonly durationS: number;
}

/** A size-sweep run of any stack: `model` says which form its points carry. */
export type SizeSweep = { [F in BacklogModelId]: SizeSweepOf<F> }[BacklogModelId];
export type SweepPoint = SizeSweep['points'][number];

/** A form of the model, as the sweep uses it. */
export interface SweepModel<F extends BacklogModelId> {
  readonly id: F;
  /** The formula, for the report. */
  readonly formula: string;
  /** Its constants that do not depend on one connection, read from the running libraries before the run. */
  readConstants(settings: readonly SweepSetting[]): Promise<ConstantsOf<F>>;
  /** About how many messages one stopped stream of this setting takes: what to publish first (more follow if the queue runs dry). */
  expected(constants: ConstantsOf<F>, setting: SweepSetting, payloadBytes: number): number;
  predict(constants: ConstantsOf<F>, measurement: SweepMeasurement): PredictionOf<F>;
  /** Its part of the report: the constants, then one row per point. */
  tables(run: SizeSweepOf<F>): string[];
  /** Its sentence in the conclusion, for the profile's payload size. */
  sentence(run: SizeSweepOf<F>, payloadBytes: number): string | undefined;
}

export type SweepModels = { readonly [F in BacklogModelId]: SweepModel<F> };

/** The worker environment of a setting. */
export function settingEnv(setting: SweepSetting): Env {
  return { FLOW_CONTROL_WINDOW: setting.flowControlWindow, ...(setting.bdpProbe === undefined ? {} : { BDP_PROBE: setting.bdpProbe ? 'on' : 'off' }) };
}

/** The stack's defaults: no FLOW_CONTROL_WINDOW, and BDP_PROBE (where there is one) on. */
export function isStackDefault(setting: SweepSetting): boolean {
  return setting.flowControlWindow === 0 && setting.bdpProbe !== false;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** "BDP on", "BDP off, window 1 MiB", "default window", "window 16 KiB". */
export function settingLabel(setting: SweepSetting): string {
  const window = setting.flowControlWindow === 0 ? undefined : `window ${formatBytes(setting.flowControlWindow)}`;
  if (setting.bdpProbe === undefined) return window ?? 'default window';
  return [`BDP ${setting.bdpProbe ? 'on' : 'off'}`, ...(window ? [window] : [])].join(', ');
}

/** A worker id's part for a setting: `bdp-off-win-1048576`, `win-0`. */
export function settingId(setting: SweepSetting): string {
  return [...(setting.bdpProbe === undefined ? [] : [`bdp-${setting.bdpProbe ? 'on' : 'off'}`]), `win-${setting.flowControlWindow}`].join('-');
}

/** 0.231 -> "23 %", 0.0012 -> "0.1 %". */
export function percent(fraction: number): string {
  const p = Math.abs(fraction) * 100;
  return `${p < 1 ? p.toFixed(1) : Math.round(p)} %`;
}

/** 33584 -> "33,584". */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
