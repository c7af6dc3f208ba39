/**
 * The backlog model of docs/design.md#the-backlog-model: how many messages a `stream` worker that
 * has stopped reading can have in transit,
 *
 *   Q + (H + W) / M   on the client, plus 1..B on the server,
 *
 * with every constant read from the Node and grpc-js that run the lab rather
 * than typed in:
 *
 * - Q: the client call object (an object-mode Readable) buffers this many
 *   messages before grpc-js stops asking the HTTP/2 stream for more. Read
 *   from a real grpc-js client call (`readableHighWaterMark`).
 * - H: Node's Http2Stream keeps reading into its own byte buffer after grpc-js
 *   pauses it (subchannel-call.js `tryPush` pauses; data already accepted is
 *   buffered). Read from a real ClientHttp2Stream (`readableHighWaterMark`).
 * - W: the stream window the worker's channel advertises, in bytes: what the
 *   sidecar may still send after the client stops consuming. grpc-js puts
 *   `grpc-node.flow_control_window` (or http2's default) into its SETTINGS
 *   (transport.js, `initialWindowSize`); read here from the SETTINGS a raw
 *   HTTP/2 server receives from a real grpc-js channel.
 * - B: the server call (an object-mode Writable) takes this many messages
 *   before `write()` returns false and the sidecar waits for 'drain'. Read
 *   from a real grpc-js server call (`writableHighWaterMark`).
 * - M: a gRPC message on the wire is a 5-byte prefix and the encoded
 *   Delivery: the payload S plus a few dozen bytes of id, timestamps,
 *   attempt and ack id (about 70 for 100-byte payloads here). The size sweep
 *   counts M on the wire (experiments/lib/frame-tap.ts); S + 5 is its lower
 *   bound.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadContract } from '@backlog-lab/common/contract';
import { grpcJsVersion } from '@backlog-lab/common/grpc-version';

export interface TransportConstants {
  readonly nodeVersion: string;
  readonly grpcJsVersion: string;
  /** Messages the client call object buffers (object-mode Readable high-water mark). */
  readonly q: number;
  /** Bytes Node's client Http2Stream buffers after it is paused (its readable high-water mark). */
  readonly h: number;
  /** Messages the server call buffers before write() returns false. */
  readonly serverBuffer: number;
  /** Per window setting: what the worker's channel advertises (stream and connection). */
  readonly windows: readonly WindowReading[];
}

export interface WindowReading {
  /** `grpc-node.flow_control_window` given to the channel; 0 = not set (grpc-js default). */
  readonly option: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE the server received: the per-stream window W. */
  readonly streamWindow: number;
  /** Bytes the server may send on the whole connection, after grpc-js's WINDOW_UPDATE. */
  readonly connectionWindow: number;
}

export interface Prediction {
  /** Q + (H + W) / M: what the client side can hold. */
  readonly client: number;
  /**
   * The server holds 1..B more: the sidecar writes until write() says no (B
   * messages), then waits for 'drain', which comes only when that buffer is
   * empty, so at rest anything from 1 to B is left there. The centre of that
   * range is the model's single number.
   */
  readonly serverMin: number;
  readonly serverMax: number;
  /** client + (serverMin + serverMax) / 2. */
  readonly centre: number;
  /** client + serverMax: the model's upper end. */
  readonly total: number;
}

/** The backlog model (docs/design.md#the-backlog-model) for messages of M bytes on the wire and stream window W. */
export function predictInTransit(constants: Pick<TransportConstants, 'q' | 'h' | 'serverBuffer'>, wireBytes: number, streamWindow: number): Prediction {
  const client = constants.q + (constants.h + streamWindow) / wireBytes;
  const serverMin = 1;
  const serverMax = constants.serverBuffer;
  return { client, serverMin, serverMax, centre: client + (serverMin + serverMax) / 2, total: client + serverMax };
}

/** Reads Q, H, B and, for each window option, W from the running Node and grpc-js. */
export async function readTransportConstants(windowOptions: readonly number[]): Promise<TransportConstants> {
  const { q, h, serverBuffer } = await readBuffers();
  const windows: WindowReading[] = [];
  for (const option of windowOptions) windows.push(await readWindow(option));
  return { nodeVersion: process.versions.node, grpcJsVersion: grpcJsVersion(), q, h, serverBuffer, windows };
}

export { grpcJsVersion };

/** Q and B from a real grpc-js call against a real grpc-js server; H from a raw http2 stream to it. */
async function readBuffers(): Promise<{ q: number; h: number; serverBuffer: number }> {
  const { Queue } = loadContract();
  let serverBuffer = -1;
  let release: () => void = () => undefined;
  const server = new grpc.Server();
  server.addService(Queue.service, {
    Subscribe(call: grpc.ServerWritableStream<unknown, unknown>) {
      serverBuffer = call.writableHighWaterMark;
      release = () => { call.end(); };
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => {
      if (error) reject(error);
      else resolve(p);
    });
  });
  const client = new Queue(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  try {
    const call = client.Subscribe({ workerId: 'model-probe' });
    const q = call.readableHighWaterMark;
    call.on('error', () => undefined);
    await waitUntil(() => serverBuffer >= 0, 'the grpc-js server call');
    // The same kind of stream grpc-js opens for every call (session.request()).
    const stream = session.request({ ':method': 'POST', ':path': '/backlog.v1.Queue/Subscribe', 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('error', () => undefined);
    const h = stream.readableHighWaterMark;
    stream.close();
    release();
    call.cancel();
    return { q, h, serverBuffer };
  } finally {
    session.close();
    client.close();
    server.forceShutdown();
  }
}

/** The windows a grpc-js channel with this option advertises, as a raw HTTP/2 server sees them. */
async function readWindow(option: number): Promise<WindowReading> {
  let streamWindow = -1;
  const sessions: http2.ServerHttp2Session[] = [];
  const server = http2.createServer();
  server.on('session', (session) => {
    sessions.push(session);
    session.on('remoteSettings', (settings: http2.Settings) => {
      if (settings.initialWindowSize !== undefined) streamWindow = settings.initialWindowSize;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const options: grpc.ChannelOptions = option > 0 ? { 'grpc-node.flow_control_window': option } : {};
  const channel = new grpc.Channel(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options);
  try {
    await waitForReady(channel);
    await waitUntil(() => streamWindow >= 0, 'the channel\'s SETTINGS');
    // grpc-js sends its connection-level WINDOW_UPDATE right after the server's SETTINGS.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const connectionWindow = sessions[0]?.state.remoteWindowSize ?? -1;
    return { option, streamWindow, connectionWindow };
  } finally {
    channel.close();
    for (const s of sessions) s.destroy();
    await new Promise<void>((resolve) => { server.close(() => { resolve(); }); });
  }
}

function waitForReady(channel: grpc.Channel, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const state = channel.getConnectivityState(true);
      if (state === grpc.connectivityState.READY) {
        resolve();
        return;
      }
      channel.watchConnectivityState(state, deadline, (error) => {
        if (error) reject(new Error(`grpc-js channel not ready within ${timeoutMs} ms`));
        else check();
      });
    };
    check();
  });
}

async function waitUntil(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
