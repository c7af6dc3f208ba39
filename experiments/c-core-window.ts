/**
 * The second form of the model (DESIGN.md section 9): for a gRPC C-core
 * client the window is not 64 KiB but what BDP probing grew it to, so it is
 * read, not assumed.
 *
 * readCcoreWindow() starts the lab's Python worker (stack 'c-core', its real
 * channel options) in stream mode with a processing delay of an hour, so it
 * takes one message and then stops reading, and points it at a raw Node
 * HTTP/2 server that answers Subscribe with 100-byte Deliveries as fast as
 * flow control lets it. Between the two sits a frame tap that forwards every
 * byte unchanged and decodes the frame headers: the client's SETTINGS
 * (SETTINGS_INITIAL_WINDOW_SIZE, the stream window), its WINDOW_UPDATEs
 * (stream and connection), its PINGs (BDP probes), and the DATA the server
 * sends. Once no DATA has moved for a while, the stream has all the credit it
 * will get: that is the grown window.
 *
 * What C-core 1.51 does (flow_control.cc, chttp2_transport.cc): with BDP
 * probing on, its first SETTINGS already asks for 4 MiB (with no memory
 * pressure its target log2 window is lifted to 22), and it grows the window
 * while the bytes that arrive during one PING round trip keep growing, up to
 * 2^25. It returns a stream's credit only for bytes it has framed into
 * messages, and frames one only when the application asks for it, so a
 * stopped reader's stream holds a full window. The connection window is
 * refilled as bytes arrive, so it bounds nothing.
 *
 * predictCcoreInTransit() turns a window into messages: the window over the
 * wire size of one message, plus the one in hand, plus the 1..B the
 * sidecar's server call buffers (the same B as in experiments/model.ts).
 * Unlike grpc-js there is no message queue or byte buffer in the client
 * beyond the window: C-core keeps unframed bytes inside it.
 */
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { loadContract } from '@backlog-lab/common/contract';
import { startWorker, type RunningWorker } from '@backlog-lab/harness/lab-services';
import { scrape } from '@backlog-lab/harness/prometheus-text';

/** HTTP/2's initial window, stream and connection alike (RFC 9113 6.9.2). */
export const DEFAULT_WINDOW = 65_535;
/** The gRPC length prefix of every message. */
export const GRPC_PREFIX_BYTES = 5;

export interface CcoreWindowOptions {
  /** The worker's BDP_PROBE. */
  readonly bdpProbe: boolean;
  /** The worker's FLOW_CONTROL_WINDOW (0: not set). */
  readonly flowControlWindow?: number;
  readonly payloadBytes?: number;
  /** The stream has stalled once no DATA moved for this long. */
  readonly quietMs?: number;
  readonly timeoutMs?: number;
  /** The most the server sends before it stops anyway (a runaway window). */
  readonly capBytes?: number;
}

export interface CcoreWindowReading extends ConnectionWindows {
  readonly bdpProbe: boolean;
  readonly flowControlWindow: number;
  readonly grpcVersion: string;
  /** Whole gRPC messages in streamBytesSent, and the wire size of each (prefix + Delivery). */
  readonly messagesSent: number;
  readonly messageWireBytes: number;
  /** The server hit capBytes: the window is at least this. */
  readonly capped: boolean;
}

export interface CcorePrediction {
  /** Window / message wire size, plus the message in hand. */
  readonly client: number;
  readonly serverMin: number;
  readonly serverMax: number;
  /** client + (serverMin + serverMax) / 2. */
  readonly centre: number;
  /** client + serverMax. */
  readonly total: number;
}

/**
 * In transit on one C-core stream worker that has stopped reading, for a
 * stream window (bytes) and a message's size on the wire (prefix included).
 * `serverBuffer` is the sidecar's server call buffer, B (16 in grpc-js).
 */
export function predictCcoreInTransit(streamWindow: number, messageWireBytes: number, serverBuffer = 16): CcorePrediction {
  const client = Math.floor(streamWindow / messageWireBytes) + 1;
  return { client, serverMin: 1, serverMax: serverBuffer, centre: client + (1 + serverBuffer) / 2, total: client + serverBuffer };
}

/** A Delivery shaped like the sidecar's (an 15-character id, an ack id of ~20), framed for the wire. */
export function encodeDelivery(payloadBytes: number, seq: number): Buffer {
  const { Queue } = loadContract();
  const now = BigInt(Date.now()) * 1_000_000n;
  const body = Queue.service.Subscribe.responseSerialize({
    id: `0a1b2c3d-${String(seq).padStart(6, '0')}`,
    priority: 1,
    payload: Buffer.alloc(payloadBytes, 0x61),
    publishedAtUnixNano: now.toString(),
    dispatchedAtUnixNano: now.toString(),
    attempt: 1,
    traceContext: {},
    ackId: `AAAAAAAAAAAAAAAA.${seq.toString(36)}`,
  });
  const framed = Buffer.alloc(GRPC_PREFIX_BYTES + body.length);
  framed.writeUInt32BE(body.length, 1);
  body.copy(framed, GRPC_PREFIX_BYTES);
  return framed;
}

const FRAME = { DATA: 0, HEADERS: 1, SETTINGS: 4, PING: 6, WINDOW_UPDATE: 8 } as const;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const FLAG_ACK = 0x1;
const CLIENT_PREFACE_BYTES = 24;

export interface FrameLog {
  readonly streamWindowSettings: number[];
  /** Increments per stream id; 0 is the connection. */
  readonly windowUpdates: Map<number, number>;
  /** DATA payload bytes the server sent per stream. */
  readonly dataBytes: Map<number, number>;
  /** WINDOW_UPDATE on the connection that came before the server's first DATA. */
  initialConnectionUpdate: number;
  pings: number;
  lastDataAt: number;
}

/** Decodes a stream of HTTP/2 frames (after the preface, if `preface` bytes are to be skipped first). */
function frameReader(preface: number, onFrame: (type: number, flags: number, stream: number, payload: Buffer) => void): (chunk: Buffer) => void {
  let skip = preface;
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    if (skip > 0) {
      const n = Math.min(skip, pending.length);
      pending = pending.subarray(n);
      skip -= n;
    }
    while (pending.length >= 9) {
      const length = pending.readUIntBE(0, 3);
      if (pending.length < 9 + length) break;
      onFrame(pending[3] ?? 0, pending[4] ?? 0, pending.readUInt32BE(5) & 0x7fffffff, pending.subarray(9, 9 + length));
      pending = pending.subarray(9 + length);
    }
  };
}

/**
 * A TCP relay in front of `upstreamPort` that logs the frames of every
 * connection through it: the client's SETTINGS, WINDOW_UPDATEs and PINGs,
 * the server's DATA. Bytes pass unchanged.
 */
export async function startFrameTap(upstreamPort: number): Promise<{ port: number; log: FrameLog; close(): Promise<void> }> {
  const log: FrameLog = { streamWindowSettings: [], windowUpdates: new Map(), dataBytes: new Map(), initialConnectionUpdate: 0, pings: 0, lastDataAt: 0 };
  const add = (map: Map<number, number>, key: number, n: number): void => { map.set(key, (map.get(key) ?? 0) + n); };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => { client.destroy(); upstream.destroy(); });
      s.on('close', () => sockets.delete(s));
    }
    const fromClient = frameReader(CLIENT_PREFACE_BYTES, (type, flags, stream, payload) => {
      if (type === FRAME.SETTINGS && (flags & FLAG_ACK) === 0) {
        for (let at = 0; at + 6 <= payload.length; at += 6) {
          if (payload.readUInt16BE(at) === SETTINGS_INITIAL_WINDOW_SIZE) log.streamWindowSettings.push(payload.readUInt32BE(at + 2));
        }
      } else if (type === FRAME.WINDOW_UPDATE) {
        const increment = payload.readUInt32BE(0) & 0x7fffffff;
        add(log.windowUpdates, stream, increment);
        if (stream === 0 && log.dataBytes.size === 0) log.initialConnectionUpdate += increment;
      } else if (type === FRAME.PING && (flags & FLAG_ACK) === 0) {
        log.pings++;
      }
    });
    const fromServer = frameReader(0, (type, _flags, stream, payload) => {
      if (type === FRAME.DATA) {
        add(log.dataBytes, stream, payload.length);
        log.lastDataAt = performance.now();
      }
    });
    client.on('data', (chunk: Buffer) => { fromClient(chunk); });
    upstream.on('data', (chunk: Buffer) => { fromServer(chunk); });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    log,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => { resolve(); });
    }),
  };
}

/**
 * A server that speaks just enough of the contract for a stream worker:
 * Subscribe streams framed Deliveries while flow control lets it (up to
 * `capBytes`), every other method is UNIMPLEMENTED (so the worker's Limits
 * check passes: a sidecar without Limits is allowed).
 */
async function startFloodServer(payloadBytes: number, capBytes: number): Promise<{ port: number; sent(): { bytes: number; messages: number; capped: boolean }; close(): Promise<void> }> {
  const state = { bytes: 0, messages: 0, capped: false };
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => undefined);
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    if (headers[':path'] !== '/backlog.v1.Queue/Subscribe') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'not served here' }, { endStream: true });
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
    const pump = (): void => {
      while (!stream.destroyed) {
        if (state.bytes >= capBytes) {
          state.capped = true;
          return;
        }
        const frame = encodeDelivery(payloadBytes, state.messages);
        state.bytes += frame.length;
        state.messages++;
        if (!stream.write(frame)) return;
      }
    };
    stream.on('drain', pump);
    // Not in the tick that sent the headers: the sidecar's dispatcher writes
    // once the call is registered, after the client has asked for its first
    // message, and C-core's stream credit depends on which comes first
    // (65,535 more when the first read is already waiting).
    setTimeout(pump, 10);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sent: () => ({ ...state }),
    close: () => new Promise((resolve) => {
      for (const s of sessions) s.destroy();
      server.close(() => { resolve(); });
    }),
  };
}

/** The windows a client advertised on one connection, read from its frames (the stream that carried the most DATA is the Subscribe). */
export interface ConnectionWindows {
  /** SETTINGS_INITIAL_WINDOW_SIZE of the client's first SETTINGS frame (65,535 when it names none). */
  readonly initialStreamWindow: number;
  /** 65,535 plus the connection WINDOW_UPDATEs sent before the first DATA. */
  readonly initialConnectionWindow: number;
  /** Every SETTINGS_INITIAL_WINDOW_SIZE the client sent, in order: how BDP probing moved it. */
  readonly streamWindowSettings: readonly number[];
  /** The stream's credit when it stalled: the last initial window plus every WINDOW_UPDATE on the stream. */
  readonly grownStreamWindow: number;
  /** The connection's credit then: 65,535 plus every connection WINDOW_UPDATE. */
  readonly grownConnectionWindow: number;
  /** Flow-controlled bytes the server got onto the Subscribe stream. */
  readonly streamBytesSent: number;
  /** BDP probes (PINGs without ACK) the client sent. */
  readonly pings: number;
}

export function windowsOf(log: FrameLog): ConnectionWindows {
  const [subscribe, streamBytesSent] = [...log.dataBytes.entries()].sort((a, b) => b[1] - a[1])[0] ?? [0, 0];
  const settings = log.streamWindowSettings;
  return {
    initialStreamWindow: settings[0] ?? DEFAULT_WINDOW,
    initialConnectionWindow: DEFAULT_WINDOW + log.initialConnectionUpdate,
    streamWindowSettings: [...settings],
    // A new SETTINGS_INITIAL_WINDOW_SIZE moves every stream's window by the difference (RFC 9113 6.9.2).
    grownStreamWindow: (settings.at(-1) ?? DEFAULT_WINDOW) + (log.windowUpdates.get(subscribe) ?? 0),
    grownConnectionWindow: DEFAULT_WINDOW + (log.windowUpdates.get(0) ?? 0),
    streamBytesSent,
    pings: log.pings,
  };
}

/** What a C-core worker with these settings advertises, and what its window grows to with a stopped reader. */
export async function readCcoreWindow(options: CcoreWindowOptions): Promise<CcoreWindowReading> {
  const payloadBytes = options.payloadBytes ?? 100;
  const quietMs = options.quietMs ?? 1_500;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const flood = await startFloodServer(payloadBytes, options.capBytes ?? 256 * 1024 * 1024);
  const tap = await startFrameTap(flood.port);
  let worker: RunningWorker | undefined;
  try {
    worker = await startWorker(`127.0.0.1:${tap.port}`, `c-core-window-${options.bdpProbe ? 'bdp' : 'nobdp'}`, {
      DELIVERY_MODE: 'stream',
      PROCESSING_DELAY_MS: 3_600_000,
      BDP_PROBE: options.bdpProbe ? 'on' : 'off',
      FLOW_CONTROL_WINDOW: options.flowControlWindow ?? 0,
      LOG_LEVEL: 'info',
    }, { stack: 'c-core', readyTimeoutMs: 60_000 });
    const started = performance.now();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = performance.now();
      if (tap.log.lastDataAt > 0 && now - tap.log.lastDataAt >= quietMs) break;
      if (now - started > timeoutMs) throw new Error(`the stream did not stall within ${timeoutMs} ms`);
    }
    const info = (await scrape(worker.metricsPort)).find((sample) => sample.name === 'worker_info');
    const windows = windowsOf(tap.log);
    const sent = flood.sent();
    const messageWireBytes = encodeDelivery(payloadBytes, sent.messages).length;
    return {
      bdpProbe: options.bdpProbe,
      flowControlWindow: options.flowControlWindow ?? 0,
      grpcVersion: info?.labels.grpc_version ?? 'unknown',
      ...windows,
      messagesSent: Math.floor(windows.streamBytesSent / messageWireBytes),
      messageWireBytes,
      capped: sent.capped,
    };
  } finally {
    await worker?.kill();
    await tap.close();
    await flood.close();
  }
}
