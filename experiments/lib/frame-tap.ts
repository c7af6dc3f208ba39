/**
 * A frame tap: a TCP relay between a worker and the sidecar that forwards
 * every byte unchanged and decodes the HTTP/2 frame headers on the way, so
 * the size sweep reads the window a worker advertised on the very
 * connection it measures, whatever the worker's stack:
 *
 * - from the client: SETTINGS_INITIAL_WINDOW_SIZE (the stream window, every
 *   value it sent), WINDOW_UPDATEs (per stream, 0 = the connection) and
 *   PINGs (C-core's BDP probes);
 * - from the server: DATA bytes per stream, and the gRPC messages in them
 *   (the 5-byte length prefixes), so the size of a message on the wire is
 *   counted, not estimated.
 *
 * At rest (a stopped reader, nothing moving) the relay holds nothing: the
 * sender only sent what the receiver's window allowed, and the receiver's
 * transport reads everything it allowed, so all of it has reached the client.
 */
import net, { type AddressInfo } from 'node:net';

/** HTTP/2's initial window, stream and connection alike (RFC 9113 6.9.2). */
export const DEFAULT_WINDOW = 65_535;
/** The gRPC length prefix of every message. */
export const GRPC_PREFIX_BYTES = 5;

const FRAME = { DATA: 0, SETTINGS: 4, PING: 6, WINDOW_UPDATE: 8 } as const;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const FLAG_ACK = 0x1;
const FLAG_PADDED = 0x8;
const CLIENT_PREFACE_BYTES = 24;

/** The gRPC messages of one stream's DATA, parsed as they pass. */
interface MessageCount {
  /** Whole messages, and their bytes with the prefix. */
  messages: number;
  bytes: number;
  /** The prefix being read, when it spans frames. */
  header: Buffer;
  /** Bytes of the current message's body still to come, and its whole size. */
  remaining: number;
  current: number;
}

export interface FrameLog {
  readonly streamWindowSettings: number[];
  /** Increments per stream id; 0 is the connection. */
  readonly windowUpdates: Map<number, number>;
  /** DATA payload bytes (flow-controlled, padding included) the server sent per stream. */
  readonly dataBytes: Map<number, number>;
  readonly messages: Map<number, MessageCount>;
  pings: number;
  lastDataAt: number;
}

/** The windows a client advertised on one connection, read from its frames (the stream that carried the most DATA is the Subscribe). */
export interface ConnectionWindows {
  /** SETTINGS_INITIAL_WINDOW_SIZE of the client's first SETTINGS frame (65,535 when it names none). */
  readonly initialStreamWindow: number;
  /** Every SETTINGS_INITIAL_WINDOW_SIZE the client sent, in order: how BDP probing moved it. */
  readonly streamWindowSettings: readonly number[];
  /**
   * The stream's credit once it stalled: the last initial window (a new
   * SETTINGS_INITIAL_WINDOW_SIZE moves every stream's window by the
   * difference, RFC 9113 6.9.2) plus every WINDOW_UPDATE on the stream.
   */
  readonly grownStreamWindow: number;
  /** The connection's credit then: 65,535 plus every connection WINDOW_UPDATE. */
  readonly grownConnectionWindow: number;
  /** Flow-controlled bytes the server got onto the Subscribe stream. */
  readonly streamBytesSent: number;
  /** Whole gRPC messages in them, and their bytes (prefix included). */
  readonly messagesSent: number;
  readonly messageBytesSent: number;
  /** PINGs without ACK the client sent (C-core: BDP probes). */
  readonly pings: number;
}

export interface FrameTap {
  /** Where the worker connects instead of the sidecar. */
  readonly port: number;
  readonly log: FrameLog;
  /** What the log says so far. */
  windows(): ConnectionWindows;
  close(): Promise<void>;
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

/** Advances a stream's message count over one DATA frame's data. */
function countMessages(count: MessageCount, data: Buffer): void {
  let at = 0;
  while (at < data.length) {
    if (count.remaining > 0) {
      const n = Math.min(count.remaining, data.length - at);
      count.remaining -= n;
      at += n;
      if (count.remaining === 0) {
        count.messages++;
        count.bytes += count.current;
      }
      continue;
    }
    const take = data.subarray(at, at + GRPC_PREFIX_BYTES - count.header.length);
    count.header = Buffer.concat([count.header, take]);
    at += take.length;
    if (count.header.length < GRPC_PREFIX_BYTES) break;
    const length = count.header.readUInt32BE(1);
    count.header = Buffer.alloc(0);
    count.current = GRPC_PREFIX_BYTES + length;
    count.remaining = length;
    if (length === 0) {
      count.messages++;
      count.bytes += GRPC_PREFIX_BYTES;
    }
  }
}

/** Starts a relay in front of `upstreamPort` on the loopback interface that logs the frames of every connection through it. */
export async function startFrameTap(upstreamPort: number): Promise<FrameTap> {
  const log: FrameLog = { streamWindowSettings: [], windowUpdates: new Map(), dataBytes: new Map(), messages: new Map(), pings: 0, lastDataAt: 0 };
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
        add(log.windowUpdates, stream, payload.readUInt32BE(0) & 0x7fffffff);
      } else if (type === FRAME.PING && (flags & FLAG_ACK) === 0) {
        log.pings++;
      }
    });
    const fromServer = frameReader(0, (type, flags, stream, payload) => {
      if (type !== FRAME.DATA) return;
      add(log.dataBytes, stream, payload.length);
      log.lastDataAt = performance.now();
      const padding = (flags & FLAG_PADDED) !== 0 ? (payload[0] ?? 0) : -1;
      const data = padding >= 0 ? payload.subarray(1, payload.length - padding) : payload;
      const count = log.messages.get(stream) ?? { messages: 0, bytes: 0, header: Buffer.alloc(0), remaining: 0, current: 0 };
      log.messages.set(stream, count);
      countMessages(count, data);
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
    windows: () => windowsOf(log),
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => { resolve(); });
    }),
  };
}

export function windowsOf(log: FrameLog): ConnectionWindows {
  const [subscribe, streamBytesSent] = [...log.dataBytes.entries()].sort((a, b) => b[1] - a[1])[0] ?? [0, 0];
  const settings = log.streamWindowSettings;
  const counted = log.messages.get(subscribe);
  return {
    initialStreamWindow: settings[0] ?? DEFAULT_WINDOW,
    streamWindowSettings: [...settings],
    grownStreamWindow: (settings.at(-1) ?? DEFAULT_WINDOW) + (log.windowUpdates.get(subscribe) ?? 0),
    grownConnectionWindow: DEFAULT_WINDOW + (log.windowUpdates.get(0) ?? 0),
    streamBytesSent,
    messagesSent: counted?.messages ?? 0,
    messageBytesSent: counted?.bytes ?? 0,
    pings: log.pings,
  };
}
