/**
 * The sidecar's TCP listener. grpc-js has no limit on connections, so the
 * sidecar owns the socket: a net.Server that counts connections and hands
 * each one to the gRPC server (grpc-js's connection injector, which does the
 * TLS handshake and HTTP/2 as bindAsync would). A connection over the limit
 * is closed at once: there is no HTTP/2 session yet to carry a status, so the
 * client sees UNAVAILABLE and backs off, and the refusal is counted. Without
 * this, idle connections exhaust the process's file descriptors and new
 * workers fail instead.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type * as grpc from '@grpc/grpc-js';

export interface Listener {
  /** Listens; resolves to the port bound. */
  start(): Promise<number>;
  /** Stops accepting connections; the gRPC server's own shutdown (tryShutdown, forceShutdown) closes the open ones. */
  stop(): void;
  /**
   * Resolves once every connection has closed. grpc-js's tryShutdown calls
   * back at once for injected connections, while their calls are still
   * draining, so this is what a graceful stop waits for.
   */
  closed(): Promise<void>;
  /** Cuts every connection still open. */
  destroy(): void;
  readonly connections: number;
}

export interface ListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxConnections: number;
  /** A connection was refused for being over the limit. */
  readonly onRefused: () => void;
}

export function createListener(server: grpc.Server, credentials: grpc.ServerCredentials, options: ListenerOptions): Listener {
  const injector = server.createConnectionInjector(credentials);
  const open = new Set<Socket>();
  let waiters: (() => void)[] = [];
  const settle = (): void => {
    if (open.size > 0) return;
    for (const waiter of waiters) waiter();
    waiters = [];
  };
  const net: Server = createServer((socket) => {
    if (open.size >= options.maxConnections) {
      options.onRefused();
      socket.destroy();
      return;
    }
    open.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      settle();
    });
    socket.on('error', () => undefined);
    injector.injectConnection(socket);
  });
  return {
    get connections() {
      return open.size;
    },
    start: () => new Promise((resolve, reject) => {
      net.once('error', (error: NodeJS.ErrnoException) => {
        reject(new Error(error.code === 'EADDRINUSE'
          ? `gRPC port ${options.port} on ${options.host} is already in use`
          : `cannot listen for gRPC on ${options.host}:${options.port}: ${error.message}`));
      });
      net.listen(options.port, options.host, () => {
        net.removeAllListeners('error');
        const address = net.address();
        resolve(typeof address === 'object' && address ? address.port : options.port);
      });
    }),
    stop() {
      // net.close()'s callback waits for every connection to end; the gRPC server ends them.
      net.close();
    },
    closed: () => new Promise((resolve) => {
      waiters.push(resolve);
      settle();
    }),
    destroy() {
      for (const socket of open) socket.destroy();
    },
  };
}
