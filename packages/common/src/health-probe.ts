/**
 * `node health-probe.ts HOST:PORT [SERVICE]`: exits 0 when the gRPC health
 * service there answers SERVING, 1 otherwise. Used by container healthchecks,
 * so it asks the service itself rather than poking the TCP port.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath } from 'grpc-health-check';

interface HealthClient extends grpc.Client {
  check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
  ): void;
}

export function checkHealth(address: string, service = '', timeoutMs = 2_000): Promise<string> {
  const definition = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => HealthClient } } };
  };
  const client = new definition.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.check({ service }, { deadline: Date.now() + timeoutMs }, (error, response) => {
      client.close();
      resolve(error ? `error: ${error.details}` : (response?.status ?? 'UNKNOWN'));
    });
  });
}

if (import.meta.main) {
  const [address, service] = process.argv.slice(2);
  if (address === undefined) {
    process.stderr.write('usage: health-probe.ts HOST:PORT [SERVICE]\n');
    process.exit(2);
  }
  const status = await checkHealth(address, service);
  process.stdout.write(`${status}\n`);
  process.exit(status === 'SERVING' ? 0 : 1);
}
