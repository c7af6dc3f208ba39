/**
 * Run as a process by test/unit/telemetry-sdk.test.ts: starts the telemetry
 * as a service does (before @grpc/grpc-js is imported), then prints whether
 * the gRPC instrumentation wrapped grpc-js's client and server, and whether
 * the per-message trace helpers were told the lab's propagators are in place.
 */
import { startTelemetry } from '@backlog-lab/common/telemetry-sdk';
import { isLabPropagation } from '@backlog-lab/common/trace-propagator';

await startTelemetry('probe');
const grpc = await import('@grpc/grpc-js');
// The instrumentation's shimmer marks what it wrapped with `__wrapped`.
const wrapped = (owner: object, name: string): boolean => {
  const f: unknown = Reflect.get(owner, name);
  return typeof f === 'function' && '__wrapped' in f;
};
process.stdout.write(JSON.stringify({
  client: wrapped(grpc.Client.prototype, 'makeUnaryRequest'),
  server: wrapped(grpc.Server.prototype, 'register'),
  labPropagation: isLabPropagation(),
}));
