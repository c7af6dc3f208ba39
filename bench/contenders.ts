/**
 * What the throughput benchmark runs side by side: bare grpc-js baselines
 * (streaming, unary, and credit mode's protocol at each prefetch), the
 * sidecar with real zero-delay workers in every delivery mode and at three
 * telemetry levels, the sidecar with bare readers (no lab
 * worker) to separate the sidecar's own cost from the worker's, bare
 * amqplib consumers of a RabbitMQ queue, and the sidecar with RabbitMQ
 * behind it in every mode, set against those consumers at the same prefetch.
 */
import type { DeliveryMode } from '@backlog-lab/common/modes';
import type { Stack } from '@backlog-lab/harness/lab-services';

/**
 * - shipped:   metrics on, traces sampled at 1 % (parent-based), OTLP/HTTP
 *              protobuf to the bench's sink, as the deploy stack configures it
 *              apart from the ratio.
 * - traces100: the same, every trace sampled.
 * - off:       OTEL_SDK_DISABLED=true. Prometheus metrics stay on (the
 *              services have no switch for them), and the gRPC
 *              instrumentation is still loaded and patches grpc-js; its
 *              tracer is a no-op.
 */
export const TELEMETRY_LEVELS = ['shipped', 'traces100', 'off'] as const;
export type Telemetry = (typeof TELEMETRY_LEVELS)[number];

export type ContenderKind =
  /** Baseline server + bare stream readers. */
  | 'bare-stream'
  /** Baseline server + bare Pull/Ack clients. */
  | 'bare-unary'
  /** Baseline server + bare Consume clients (credit mode's protocol, no lab code). */
  | 'bare-credit'
  /** Sidecar + real workers (PROCESSING_DELAY_MS=0). */
  | 'lab'
  /** Sidecar + bare stream readers (no receipts, no worker code). */
  | 'lab-bare-reader'
  /** A RabbitMQ node of its own (the "server") + bare amqplib consumers acking each message at once. */
  | 'rabbitmq-bare'
  /** Sidecar + bare grpcio stream readers (C-core, bench/baseline/grpcio-stream-reader.py). */
  | 'lab-bare-grpcio-reader'
  /** A RabbitMQ node of its own + the sidecar consuming it (QUEUE=rabbitmq) + real workers; the "server" is the sidecar and the node. */
  | 'lab-rabbitmq';

export interface ContenderSpec {
  readonly id: string;
  readonly kind: ContenderKind;
  readonly mode?: DeliveryMode;
  /** credit and bare-credit: the clients' PREFETCH; rabbitmq-bare: each consumer's basic.qos. */
  readonly prefetch?: number;
  /** lab-rabbitmq: the sidecar's QUEUE_PREFETCH (its basic.qos upstream). */
  readonly queuePrefetch?: number;
  readonly telemetry?: Telemetry;
  /** The lab workers' client stack; grpc-js unless said. */
  readonly stack?: Stack;
  /** The contender whose throughput and CPU this one is divided by. */
  readonly baseline?: string;
  readonly description: string;
}

export const BARE_STREAM = 'bare-stream';
export const BARE_UNARY = 'bare-unary';
/** The C-core contenders' baseline: the sidecar with bare grpcio readers. */
export const C_CORE_BARE_READER = 'sidecar-bare-grpcio-reader/off';
/** The Python (C-core) stream workers, which the Python credit workers are set beside. */
export const C_CORE_STREAM = 'c-core-stream/off';

export const CREDIT_PREFETCHES = [1, 10, 100, 1000] as const;
/** The bare grpc-js contender running credit mode's protocol at `prefetch`: the lab's credit rows' baseline. */
export function bareCreditId(prefetch: number): string {
  return `bare-credit-${prefetch}`;
}
/** basic.qos of each bare AMQP consumer. */
export const RABBITMQ_PREFETCHES = [1, 10, 100, 1000] as const;

export function rabbitmqBareId(prefetch: number): string {
  return `rabbitmq-bare/prefetch-${prefetch}`;
}

export function labId(mode: DeliveryMode, telemetry: Telemetry, prefetch?: number): string {
  return `${mode === 'credit' ? `credit-${prefetch ?? 0}` : mode}/${telemetry}`;
}

/**
 * The sidecar on RabbitMQ holds this many unacked upstream (QUEUE_PREFETCH),
 * and is set against bare consumers with the same basic.qos.
 */
export const RABBITMQ_SIDECAR_PREFETCH = 1000;
/** The credit workers' PREFETCH behind the sidecar on RabbitMQ. */
export const RABBITMQ_CREDIT_PREFETCH = 100;

export function rabbitmqLabId(mode: DeliveryMode, prefetch?: number): string {
  return `rabbitmq/${mode === 'credit' ? `credit-${prefetch ?? 0}` : mode}`;
}

/** The stream contender a credit contender is also divided by: the same telemetry, the same queue, the same worker stack. */
export function streamOf(spec: ContenderSpec): string | undefined {
  if (spec.mode !== 'credit') return undefined;
  if (spec.kind === 'lab-rabbitmq') return rabbitmqLabId('stream');
  if (spec.stack === 'c-core') return C_CORE_STREAM;
  return spec.telemetry === undefined ? undefined : labId('stream', spec.telemetry);
}

export function allContenders(): ContenderSpec[] {
  const specs: ContenderSpec[] = [
    { id: BARE_STREAM, kind: 'bare-stream', description: 'bare grpc-js server streaming, readers that only count' },
    { id: BARE_UNARY, kind: 'bare-unary', description: 'bare grpc-js unary Pull + Ack loop' },
    // Divided by bare streaming: the share of it that credit mode's protocol leaves at each prefetch, with no lab code.
    ...CREDIT_PREFETCHES.map((prefetch): ContenderSpec => ({ id: bareCreditId(prefetch), kind: 'bare-credit', prefetch, baseline: BARE_STREAM, description: `bare grpc-js Consume, clients that ack each message at once, PREFETCH=${prefetch}` })),
  ];
  for (const telemetry of TELEMETRY_LEVELS) {
    specs.push({ id: labId('stream', telemetry), kind: 'lab', mode: 'stream', telemetry, baseline: BARE_STREAM, description: 'sidecar Subscribe, stream workers' });
    for (const prefetch of CREDIT_PREFETCHES) {
      specs.push({ id: labId('credit', telemetry, prefetch), kind: 'lab', mode: 'credit', prefetch, telemetry, baseline: bareCreditId(prefetch), description: `sidecar Consume, credit workers with PREFETCH=${prefetch}` });
    }
    specs.push({ id: labId('poll', telemetry), kind: 'lab', mode: 'poll', telemetry, baseline: BARE_UNARY, description: 'sidecar Pull + Ack, poll workers' });
  }
  for (const telemetry of ['shipped', 'off'] as const) {
    specs.push({ id: `sidecar-bare-reader/${telemetry}`, kind: 'lab-bare-reader', mode: 'stream', telemetry, baseline: BARE_STREAM, description: 'sidecar Subscribe, bare readers (no lab worker)' });
  }
  for (const prefetch of RABBITMQ_PREFETCHES) {
    specs.push({ id: rabbitmqBareId(prefetch), kind: 'rabbitmq-bare', prefetch, description: `RabbitMQ (harness node), bare amqplib consumers with prefetch ${prefetch}, manual ack of each message, draining a backlog of persistent messages published beforehand` });
  }
  // The Python (C-core) worker per mode, beside bare grpcio readers on the
  // same sidecar. It exports no traces, so one telemetry level: the
  // sidecar's OTel SDK off, as in sidecar-bare-reader/off.
  specs.push({ id: C_CORE_BARE_READER, kind: 'lab-bare-grpcio-reader', mode: 'stream', telemetry: 'off', baseline: BARE_STREAM, description: 'sidecar Subscribe, bare grpcio (C-core) readers' });
  specs.push({ id: C_CORE_STREAM, kind: 'lab', stack: 'c-core', mode: 'stream', telemetry: 'off', baseline: C_CORE_BARE_READER, description: 'sidecar Subscribe, Python (C-core) stream workers' });
  specs.push({ id: 'c-core-credit-100/off', kind: 'lab', stack: 'c-core', mode: 'credit', prefetch: 100, telemetry: 'off', baseline: C_CORE_BARE_READER, description: 'sidecar Consume, Python (C-core) credit workers with PREFETCH=100' });
  specs.push({ id: 'c-core-poll/off', kind: 'lab', stack: 'c-core', mode: 'poll', telemetry: 'off', baseline: C_CORE_BARE_READER, description: 'sidecar Pull + Ack, Python (C-core) poll workers' });
  const onRabbit = `the sidecar on RabbitMQ (QUEUE_PREFETCH ${RABBITMQ_SIDECAR_PREFETCH}) draining a backlog of persistent messages published to the broker beforehand`;
  for (const mode of ['stream', 'credit', 'poll'] as const) {
    const prefetch = mode === 'credit' ? RABBITMQ_CREDIT_PREFETCH : undefined;
    const workers = mode === 'stream' ? 'stream workers (upstream ack on dispatch)' : mode === 'credit' ? `credit workers with PREFETCH=${RABBITMQ_CREDIT_PREFETCH}` : 'poll workers';
    specs.push({ id: rabbitmqLabId(mode, prefetch), kind: 'lab-rabbitmq', mode, prefetch, queuePrefetch: RABBITMQ_SIDECAR_PREFETCH, telemetry: 'shipped', baseline: rabbitmqBareId(RABBITMQ_SIDECAR_PREFETCH), description: `${onRabbit}, ${workers}` });
  }
  return specs;
}

/**
 * The selected contenders and what their ratios need: each one's baseline
 * and a credit row's stream, and theirs in turn (a bare credit row is
 * divided by bare streaming), in the bench's order.
 */
export function withBaselines(selected: readonly ContenderSpec[], all: readonly ContenderSpec[] = allContenders()): ContenderSpec[] {
  const byId = new Map(all.map((s) => [s.id, s]));
  const wanted = new Set<string>();
  const want = (spec: ContenderSpec | undefined): void => {
    if (spec === undefined || wanted.has(spec.id)) return;
    wanted.add(spec.id);
    for (const id of [spec.baseline, streamOf(spec)]) if (id !== undefined) want(byId.get(id));
  };
  for (const spec of selected) want(spec);
  return all.filter((s) => wanted.has(s.id));
}

/** A few contenders for `--quick`: one of each shape. */
export const QUICK_IDS = [BARE_STREAM, BARE_UNARY, labId('stream', 'shipped'), labId('credit', 'shipped', 100), labId('poll', 'shipped'), 'sidecar-bare-reader/shipped'];

const OTEL_KEYS = [
  'OTEL_SDK_DISABLED',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
] as const;

/** The OTEL_* environment of a telemetry level; anything inherited is cleared first. */
export function telemetryEnv(telemetry: Telemetry, sinkEndpoint: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = Object.fromEntries(OTEL_KEYS.map((k) => [k, undefined]));
  if (telemetry === 'off') return { ...env, OTEL_SDK_DISABLED: 'true' };
  return {
    ...env,
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: sinkEndpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: telemetry === 'shipped' ? '0.01' : '1',
  };
}
