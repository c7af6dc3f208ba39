/**
 * Loaded with `node --import ./src/telemetry.ts` before the app, so the gRPC
 * instrumentation is in place before anything loads @grpc/grpc-js.
 * Configured only by the standard OTEL_* variables (docs/telemetry.md).
 */
import { startTelemetry } from '@backlog-lab/common/telemetry-sdk';

await startTelemetry('sidecar');
