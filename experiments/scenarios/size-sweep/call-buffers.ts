/**
 * The backlog model's first form, for grpc-js on Node's http2
 * (experiments/model.ts): a stopped reader holds Q messages in its call
 * object, H bytes in Node's stream buffer and a window W, so
 * Q + (H + W)/M on the client (M: a message's size on the wire, counted by
 * the frame tap), plus 1..B in the sidecar's server call; and, since Node's
 * http2 returns window only in steps of W/2, at least Q + (H + W/2)/M + 1.
 */
import { round } from '../../lib/distribution.ts';
import { predictInTransit, readTransportConstants, type TransportConstants } from '../../model.ts';
import { formatPercent } from '../../report/format.ts';
import { count, percent, type SizeSweepOf, type SweepModel, type SweepPointOf, type SweepSetting } from './types.ts';

type Run = SizeSweepOf<'call-buffers'>;
type Point = SweepPointOf<'call-buffers'>;

/** W: what the channel advertised with this setting's `grpc-node.flow_control_window`, as read before the run. */
function windowOf(constants: TransportConstants, setting: SweepSetting): number {
  const reading = constants.windows.find((w) => w.option === setting.flowControlWindow);
  if (!reading) throw new Error(`size sweep: no window read for FLOW_CONTROL_WINDOW=${setting.flowControlWindow}`);
  return reading.streamWindow;
}

export const callBuffers: SweepModel<'call-buffers'> = {
  id: 'call-buffers',
  formula: 'Q + (H + W)/M on the client, plus 1..B in the sidecar',

  readConstants: (settings) => readTransportConstants(settings.map((s) => s.flowControlWindow)),

  // S + 5 is the least a message takes on the wire: an upper estimate of the count.
  expected: (constants, setting, payloadBytes) => predictInTransit(constants, payloadBytes + 5, windowOf(constants, setting)).total,

  predict(constants, m) {
    const w = windowOf(constants, m.setting);
    const p = predictInTransit(constants, m.wireBytes, w);
    const { q, h, serverBuffer: b } = constants;
    return {
      form: 'call-buffers',
      q,
      h,
      b,
      w,
      client: round(p.client, 1),
      low: round(p.client + p.serverMin, 1),
      high: round(p.client + p.serverMax, 1),
      centre: round(p.centre, 1),
      refinedLow: round(q + (h + w / 2) / m.wireBytes + 1, 1),
      refinedHigh: round(q + (h + w) / m.wireBytes + b, 1),
    };
  },

  tables(run) {
    const c = run.constants;
    const out: string[] = [];
    out.push(`The worker's client: grpc-js ${run.clientVersion} on Node ${c.nodeVersion}. Model: ${callBuffers.formula}, with M the mean size of a message on the wire as the tap counted it (the encoded Delivery and its 5-byte prefix: S plus about 70 bytes); its single number is the centre of that range, and the deviation is measured against it. Refined range: Node's http2 returns window to the sender only once half of it is consumed (nghttp2 sends WINDOW_UPDATE at W/2), so the client holds H + W/2 to H + W bytes: Q + (H + W/2)/M + 1 .. Q + (H + W)/M + ${c.serverBuffer}.`, '');
    out.push('| constant | value | read from |', '|---|---|---|');
    out.push(`| Q | ${c.q} messages | \`readableHighWaterMark\` of a real grpc-js client call (object mode) |`);
    out.push(`| H | ${c.h} bytes | \`readableHighWaterMark\` of a real Node \`ClientHttp2Stream\`, the kind grpc-js pauses |`);
    out.push(`| B | ${c.serverBuffer} messages | \`writableHighWaterMark\` of a real grpc-js server call: \`write()\` returns false at B |`);
    for (const w of c.windows) {
      out.push(`| W, FLOW_CONTROL_WINDOW ${w.option === 0 ? 'unset' : w.option} | ${w.streamWindow} bytes (connection: ${w.connectionWindow}) | SETTINGS_INITIAL_WINDOW_SIZE a raw HTTP/2 server received from a grpc-js channel with \`grpc-node.flow_control_window\` ${w.option === 0 ? 'unset' : `= ${w.option}`} |`);
    }
    out.push('');
    out.push('| payload S | window W | stream credit on the wire | wire bytes M | measured | left the sidecar + still in it | model (client + server range) | deviation | refined range | inside refined |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const p of run.points) {
      const m = p.prediction;
      out.push(`| ${p.payloadBytes} | ${m.w} | ${p.wire.grownStreamWindow} | ${p.wireBytes} | **${p.measured}** | ${p.leftSidecar} + ${p.inSidecar} | ${m.centre} (${m.client} + 1..${m.b}: ${m.low}..${m.high}) | ${formatPercent(p.deviation)} | ${m.refinedLow}..${m.refinedHigh} | ${insideRefined(p) ? 'yes' : 'no'} |`);
    }
    out.push('');
    return out;
  },

  sentence(run, payloadBytes) {
    if (run.points.length === 0) return undefined;
    const worst = Math.max(0, ...run.points.map((p) => Math.abs(p.deviation)));
    const inside = run.points.filter(insideRefined).length;
    const c = run.constants;
    const ceiling = run.points.find((p) => p.payloadBytes === payloadBytes && p.setting.flowControlWindow === 0);
    const lead = ceiling ? `A stopped \`${run.variant.mode}\` reader on \`${run.variant.stack}\` with its default window ended up with **${count(ceiling.measured)}** ${payloadBytes}-byte messages in transit: only the HTTP/2 window and the buffers, counted in bytes, limit that number. ` : '';
    const wire = ceiling ? ` (a ${payloadBytes}-byte payload is ${Math.round(ceiling.wireBytes)} bytes on the wire, not ${payloadBytes + 5})` : '';
    return `**The model (\`${run.variant.stack}\`).** ${lead}With Q = ${c.q}, H = ${c.h} and W as read from Node ${c.nodeVersion} and grpc-js ${c.grpcJsVersion}, and M counted on the wire${wire}, Q + (H + W)/M plus the middle of the server's 1..${c.serverBuffer} matched every stopped reader within ${percent(worst)}; with Node's http2 returning window in steps of W/2, ${inside} of ${run.points.length} measurements fall inside the model's refined range.${windowSentence(run)} Only credits bound it by count.`;
  },
};

function insideRefined(p: Point): boolean {
  return p.measured >= p.prediction.refinedLow && p.measured <= p.prediction.refinedHigh;
}

/** What shrinking the window did for 1000-byte messages, against the floor Q + H/(S + 5) it cannot remove. */
function windowSentence(run: Run): string {
  const at = run.points.filter((p) => p.payloadBytes === 1000);
  const base = at.find((p) => p.setting.flowControlWindow === 0);
  const small = at.filter((p) => p.setting.flowControlWindow > 0 && p.prediction.w < (base?.prediction.w ?? 0)).sort((a, b) => a.prediction.w - b.prediction.w)[0];
  if (!base || !small) return '';
  const floor = Math.round(run.constants.q + run.constants.h / small.wireBytes);
  return ` Shrinking the window to ${small.prediction.w} bytes took 1000-byte messages only from ${base.measured} to ${small.measured} in transit: Q + H/M = ${floor} stays whatever the window.`;
}
