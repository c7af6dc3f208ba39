/**
 * The second form of the backlog model (docs/design.md#the-backlog-model):
 * for a gRPC C-core client the count is one stream window's worth of
 * messages, and the window is what BDP probing grew it to, not 64 KiB. The
 * size sweep reads that window on the worker's own connection to the
 * sidecar (experiments/lib/frame-tap.ts) and predicts from it here.
 *
 * What C-core 1.51 does (flow_control.cc, chttp2_transport.cc): with BDP
 * probing on, its first SETTINGS already asks for a 4 MiB stream window
 * (with no memory pressure its target log2 window is lifted to 22), and it
 * grows the window while the bytes that arrive during one PING round trip
 * keep growing, up to 2^25. It returns a stream's credit only for bytes it
 * has framed into messages, and frames one only when the application asks
 * for it, so a stopped reader's stream holds a full window: every byte the
 * stream was ever credited (its last SETTINGS_INITIAL_WINDOW_SIZE plus its
 * WINDOW_UPDATEs) has been sent, and nothing beyond it. Unlike grpc-js there
 * is no message queue or byte buffer in the client outside the window. The
 * connection window is refilled as bytes arrive, so it bounds nothing. With
 * BDP probing off the window is FLOW_CONTROL_WINDOW (grpc.http2.lookahead_bytes),
 * or 65,535, plus the credit C-core adds once the first read is waiting.
 */

/** The stream window C-core's first SETTINGS asks for with BDP probing on (2^22 - 1): where growth starts. */
export const BDP_FIRST_WINDOW = 4_194_303;

export interface CcorePrediction {
  /** floor(window / M): whole messages the window let through, the one in the worker's hands among them. */
  readonly client: number;
  /** In transit, low end: the client's share less the one in hand (it has started), plus 1 in the sidecar. */
  readonly low: number;
  /** High end: ... plus B in the sidecar. */
  readonly high: number;
  /** The centre of that range: the model's single number. */
  readonly centre: number;
}

/**
 * In transit (dispatched, not started) on one C-core stream worker that has
 * stopped reading, for its stream window (bytes) and the size of a message
 * on the wire (prefix included): the window's whole messages, less the one
 * in hand, plus the 1..B the sidecar's server call holds (the message cut off
 * by the window's end is one of them; B is read from grpc-js, experiments/model.ts).
 */
export function predictCcoreInTransit(streamWindow: number, messageWireBytes: number, serverBuffer: number): CcorePrediction {
  const client = Math.floor(streamWindow / messageWireBytes);
  const low = client - 1 + 1;
  const high = client - 1 + serverBuffer;
  return { client, low, high, centre: (low + high) / 2 };
}
