/**
 * `node health-probe.ts [--tls] HOST:PORT [SERVICE]`: exits 0 when the gRPC
 * health service there answers SERVING, 1 otherwise. Used by container
 * healthchecks, so it asks the service itself rather than poking the TCP port.
 *
 * `--tls` is for a sidecar serving TLS (SIDECAR_TLS_CERT_FILE): the probe
 * then speaks TLS without verifying the certificate, since it asks a server
 * in its own container whether it is up, not who it is.
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

export function checkHealth(address: string, service = '', { tls = false, timeoutMs = 2_000 } = {}): Promise<string> {
  const definition = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => HealthClient } } };
  };
  const credentials = tls ? grpc.credentials.createSsl(null, null, null, { rejectUnauthorized: false }) : grpc.credentials.createInsecure();
  // A TLS server name may not be an IP address (RFC 6066; Node warns); the name is not checked here anyway.
  const options: grpc.ChannelOptions = tls ? { 'grpc.ssl_target_name_override': 'localhost' } : {};
  const client = new definition.grpc.health.v1.Health(address, credentials, options);
  return new Promise((resolve) => {
    client.check({ service }, { deadline: Date.now() + timeoutMs }, (error, response) => {
      client.close();
      resolve(error ? `error: ${error.details}` : (response?.status ?? 'UNKNOWN'));
    });
  });
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const tls = args[0] === '--tls';
  const [address, service] = tls ? args.slice(1) : args;
  if (address === undefined || address.startsWith('-')) {
    process.stderr.write('usage: health-probe.ts [--tls] HOST:PORT [SERVICE]\n');
    process.exit(2);
  }
  const status = await checkHealth(address, service, { tls });
  process.stdout.write(`${status}\n`);
  process.exit(status === 'SERVING' ? 0 : 1);
}
