/**
 * Starts the OpenTelemetry SDK. Imported by each service's telemetry.ts,
 * which `node --import` loads before the app, so the gRPC instrumentation is
 * in place before anything loads @grpc/grpc-js. The app itself only uses
 * @opentelemetry/api and never asks whether tracing is on.
 *
 * Configuration is the standard OTEL_* environment (OTEL_SERVICE_NAME,
 * OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL,
 * OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG, ...). One lab default: when no
 * exporter and no OTLP endpoint are set, traces are not exported
 * (OTEL_TRACES_EXPORTER=none), so a local run does not log connection errors
 * for a collector that is not there. Metrics and logs go through Prometheus
 * and stdout, so their OTel exporters default to none.
 */
import { register as registerEsmHooks } from 'import-in-the-middle/register-hooks.mjs';
import { CompositePropagator, W3CBaggagePropagator } from '@opentelemetry/core';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { FastW3CTraceContextPropagator, markLabPropagation } from './trace-propagator.ts';

interface Sdk {
  shutdown(): Promise<void>;
}

let sdk: Sdk | undefined;

/**
 * The calls a worker makes per message (or per batch of finished ones):
 * their RPC spans are off unless TRACE_MESSAGE_RPCS=true. Each message has
 * its own trace (send, backlog wait, process) whatever this says; a span per
 * Pull and per Ack cost poll about a fifth of its rate (docs/benchmarks.md).
 * The streams (Subscribe, Consume), Publish and the admin calls keep theirs.
 */
export const MESSAGE_RPC_METHODS: readonly string[] = ['Pull', 'Ack', 'ExtendLease', 'Receipt'];

/** TRACE_MESSAGE_RPCS as the services' config reads it: 'true' or 'false' (default); the config refuses anything else. */
export function traceMessageRpcs(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.TRACE_MESSAGE_RPCS?.trim() === 'true';
}

/** OTEL_SDK_DISABLED as the SDK reads it (trimmed, any case). */
function sdkDisabled(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
}

export async function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // No SDK, nothing to instrument for: without this the gRPC instrumentation
  // would still wrap every call and stream event, for a tracer that drops all.
  if (sdkDisabled(env)) return;
  env.OTEL_SERVICE_NAME ??= serviceName;
  if (env.OTEL_TRACES_EXPORTER === undefined && env.OTEL_EXPORTER_OTLP_ENDPOINT === undefined && env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT === undefined) {
    env.OTEL_TRACES_EXPORTER = 'none';
  }
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  // ESM imports of instrumented packages are seen through synchronous
  // in-thread module hooks (module.registerHooks). Only @grpc/grpc-js is
  // intercepted: wrapping every module would cost seconds of start-up.
  registerEsmHooks({ include: ['@grpc/grpc-js'] });
  // Created (and so enabled) before the SDK is imported: the SDK's own OTLP
  // gRPC exporter loads @grpc/grpc-js, and the instrumentation must see that
  // first load to patch it.
  const grpcInstrumentation = new GrpcInstrumentation(traceMessageRpcs(env) ? {} : { ignoreGrpcMethods: [...MESSAGE_RPC_METHODS] });
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  // The standard propagators (trace context and baggage), with the trace
  // context parsed without a regex, unless OTEL_PROPAGATORS names others.
  const textMapPropagator = env.OTEL_PROPAGATORS === undefined
    ? new CompositePropagator({ propagators: [new FastW3CTraceContextPropagator(), new W3CBaggagePropagator()] })
    : undefined;
  const nodeSdk = new NodeSDK({ instrumentations: [grpcInstrumentation], ...(textMapPropagator ? { textMapPropagator } : {}) });
  nodeSdk.start();
  // The per-message trace helpers (trace-context.ts) may then write and read
  // the traceparent themselves; with other propagators they go through the API.
  if (textMapPropagator) markLabPropagation();
  sdk = nodeSdk;
}

/**
 * Flushes and stops the SDK; main awaits it last so the final spans are
 * sent. Bounded and never throws: an unreachable collector must not hold up
 * or fail a service's exit.
 */
export async function shutdownTelemetry(timeoutMs = 3_000): Promise<void> {
  const current = sdk;
  sdk = undefined;
  if (!current) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    current.shutdown().catch(() => undefined),
    new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); }),
  ]);
  clearTimeout(timer);
}
