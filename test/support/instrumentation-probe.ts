/**
 * Run as a process by test/unit/telemetry-sdk.test.ts: starts the telemetry
 * as a service does (before @grpc/grpc-js is imported), then prints whether
 * the gRPC instrumentation wrapped grpc-js's client and server.
 */
import { startTelemetry } from '@backlog-lab/common/telemetry-sdk';

await startTelemetry('probe');
const grpc = await import('@grpc/grpc-js');
// The instrumentation's shimmer marks what it wrapped with `__wrapped`.
const wrapped = (owner: object, name: string): boolean => {
  const f: unknown = Reflect.get(owner, name);
  return typeof f === 'function' && '__wrapped' in f;
};
process.stdout.write(JSON.stringify({ client: wrapped(grpc.Client.prototype, 'makeUnaryRequest'), server: wrapped(grpc.Server.prototype, 'register') }));
