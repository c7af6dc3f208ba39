/** The version of @grpc/grpc-js this process runs, as its package says. */
import { createRequire } from 'node:module';

export function grpcJsVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('@grpc/grpc-js/package.json') as { version: string }).version;
}
