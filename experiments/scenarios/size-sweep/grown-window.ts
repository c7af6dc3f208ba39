/**
 * The backlog model's second form, for gRPC C-core (experiments/c-core-window.ts):
 * a stopped reader's stream holds one window's worth of messages, and the
 * window is what BDP probing grew it to, read on the worker's own
 * connection to the sidecar. Predicted from that grown window, and from the
 * first window the worker advertised, to show what the growth added.
 */
import { round } from '../../lib/distribution.ts';
import { predictCcoreInTransit, BDP_FIRST_WINDOW } from '../../c-core-window.ts';
import { readTransportConstants } from '../../model.ts';
import { formatPercent } from '../../report/format.ts';
import { count, isStackDefault, percent, settingLabel, type PredictionRange, type SizeSweepOf, type SweepModel, type SweepPointOf } from './types.ts';

type Run = SizeSweepOf<'grown-window'>;
type Point = SweepPointOf<'grown-window'>;

/** A Delivery's fields besides the payload, and the prefix, are a few dozen bytes: enough to size the first burst. */
const OVERHEAD_GUESS_BYTES = 70;

function range(window: number, wireBytes: number, b: number): PredictionRange & { window: number; client: number } {
  const p = predictCcoreInTransit(window, wireBytes, b);
  return { window, client: p.client, low: p.low, high: p.high, centre: round(p.centre, 1) };
}

export const grownWindow: SweepModel<'grown-window'> = {
  id: 'grown-window',
  formula: 'floor(grown window / M) whole messages on the client, less the one in hand, plus 1..B in the sidecar',

  async readConstants() {
    // B is the sidecar's: its server call is grpc-js whatever the worker's stack.
    const { nodeVersion, grpcJsVersion, serverBuffer } = await readTransportConstants([]);
    return { nodeVersion, grpcJsVersion, serverBuffer };
  },

  expected(constants, setting, payloadBytes) {
    // BDP probing starts at 4 MiB and was seen to grow it to about twice
    // that on loopback (8.4 MB at 100 bytes); without it, the window set (or
    // 65,535) and up to as much again, the credit C-core adds once the first
    // read waits. If a window grows further, the scenario publishes more.
    const window = setting.bdpProbe === false ? 2 * (setting.flowControlWindow || 65_535) : 2 * BDP_FIRST_WINDOW;
    return window / (payloadBytes + OVERHEAD_GUESS_BYTES) + constants.serverBuffer;
  },

  predict(constants, m) {
    const b = constants.serverBuffer;
    const grown = range(m.wire.grownStreamWindow, m.wireBytes, b);
    const first = range(m.wire.initialStreamWindow, m.wireBytes, b);
    return { form: 'grown-window', b, ...grown, fromInitial: { window: first.window, low: first.low, high: first.high, centre: first.centre } };
  },

  tables(run) {
    const c = run.constants;
    const out: string[] = [];
    out.push(`The worker's client: ${run.clientVersion === 'unknown' ? 'gRPC C-core' : `grpcio ${run.clientVersion} (gRPC C-core)`}. Model: ${grownWindow.formula}. The window is read on the worker's own connection to the sidecar by the frame tap: the first SETTINGS_INITIAL_WINDOW_SIZE it sent, every later one (BDP probing moves it), and the stream's credit once it stalled (the last of those plus every WINDOW_UPDATE on the stream). M is the mean size of the messages the tap counted on that stream. "From the first window" is the same form with the window the worker started with.`, '');
    out.push('| constant | value | read from |', '|---|---|---|');
    out.push(`| B | ${c.serverBuffer} messages | \`writableHighWaterMark\` of a real grpc-js server call (the sidecar's, grpc-js ${c.grpcJsVersion}): \`write()\` returns false at B |`);
    out.push('| grown window, M | per point, below | the frame tap between the worker and the sidecar (`experiments/lib/frame-tap.ts`) |');
    out.push('');
    out.push('| payload S | setting | stream window: first → grown (SETTINGS sent, BDP PINGs) | wire bytes M | measured | left the sidecar + still in it | predicted from the grown window | deviation | predicted from the first window |', '|---|---|---|---|---|---|---|---|---|');
    for (const p of run.points) {
      const m = p.prediction;
      out.push(`| ${p.payloadBytes} | ${settingLabel(p.setting)} | ${m.fromInitial.window} → ${m.window} (${p.wire.streamWindowSettings.length}, ${p.wire.pings}) | ${p.wireBytes} | **${p.measured}** | ${p.leftSidecar} + ${p.inSidecar} | ${m.centre} (${m.client} − 1 + 1..${m.b}: ${m.low}..${m.high}) | ${formatPercent(p.deviation)} | ${m.fromInitial.centre} |`);
    }
    out.push('');
    return out;
  },

  sentence(run, payloadBytes) {
    if (run.points.length === 0) return undefined;
    const at = run.points.filter((p) => p.payloadBytes === payloadBytes);
    const lead = at.find((p) => isStackDefault(p.setting)) ?? run.points.find((p) => isStackDefault(p.setting));
    const parts: string[] = [];
    if (lead) {
      const m = lead.prediction;
      parts.push(`A stopped \`${run.variant.mode}\` reader on \`${run.variant.stack}\` with its defaults (${settingLabel(lead.setting)}) ended up with **${count(lead.measured)}** ${lead.payloadBytes}-byte messages in transit: its stream window started at ${count(m.fromInitial.window)} bytes and was ${count(m.window)} once the stream stalled, and floor(window/M) − 1 + 1..${m.b} from that window predicted ${count(m.centre)} (${formatPercent(lead.deviation)}). From the first window alone it would have been ${count(m.fromInitial.centre)}: the count follows the window the stream reached, not the one it started with.`);
    }
    const others = at.filter((p) => p !== lead);
    if (others.length > 0) {
      parts.push(`At the same size, ${others.map((p) => `${settingLabel(p.setting)}: ${count(p.measured)} (window ${count(p.prediction.window)} bytes, predicted ${count(p.prediction.centre)})`).join('; ')}.`);
    }
    const b = run.constants.serverBuffer;
    const inside = run.points.filter((p) => p.measured >= p.prediction.low && p.measured <= p.prediction.high).length;
    // Where the window holds few messages the sidecar's 1..B is most of the range, and the centre says little.
    const windowBound = run.points.filter((p) => p.prediction.client >= 10 * b);
    const worst = Math.max(0, ...windowBound.map((p) => Math.abs(p.deviation)));
    const held = run.points.map((p) => p.inSidecar);
    parts.push(`${inside} of ${run.points.length} measurements fall inside the range predicted from the window read on the same connection${windowBound.length > 0 ? `, and where the window holds ${10 * b} messages or more they are within ${percent(worst)} of its centre` : ''}. The sidecar itself held ${Math.min(...held)} to ${Math.max(...held)} of the messages in transit (B = ${b}): C-core holds nothing outside its window, so what decides its backlog is how far the window grew.`);
    const shrink = smallestWindow(run);
    if (shrink) parts.push(shrink);
    return `**The model (\`${run.variant.stack}\`).** ${parts.join(' ')} Only credits bound it by count.`;
  },
};

/** With BDP off, the smallest window set at 1000-byte messages: unlike grpc-js, no floor under it. */
function smallestWindow(run: Run): string | undefined {
  const at = run.points.filter((p: Point) => p.payloadBytes === 1000 && p.setting.bdpProbe === false);
  if (at.length < 2) return undefined;
  const sorted = [...at].sort((a, b) => a.prediction.window - b.prediction.window);
  const [small, large] = [sorted[0], sorted.at(-1)];
  if (!small || !large || small === large) return undefined;
  return `At 1000 bytes with BDP off, a ${count(small.prediction.window)}-byte window held ${count(small.measured)} and a ${count(large.prediction.window)}-byte one ${count(large.measured)}: unlike grpc-js, whose call and stream buffers stay whatever the window, a smaller window takes the count down to little more than the sidecar's 1..${run.constants.serverBuffer}.`;
}
