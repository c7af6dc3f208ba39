/** The local lab's command line (tools/lab.ts): parsed and checked once, before anything starts. */
import { DELIVERY_MODES } from '@backlog-lab/common/modes';
import { STACK_NAMES, type Stack } from '@backlog-lab/harness/lab-services';
import { checkAmqpUrl } from '../../services/sidecar/src/queue/amqp-url.ts';
import { STREAM_UPSTREAM_ACKS, type StreamUpstreamAck } from '../../services/sidecar/src/queue/queue-config.ts';
import { choiceOption, numberOption, parseFlags, UsageError } from './cli.ts';

export const QUEUE_CHOICES = ['memory', 'rabbitmq'] as const;
/**
 * - shared:  N sidecars (1 unless --sidecars), the workers spread over them.
 * - per-pod: one sidecar per worker, as a pod with a sidecar container would
 *            run them (Dapr's shape); adding a worker adds its sidecar.
 */
export const TOPOLOGIES = ['shared', 'per-pod'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

export const LAB_HELP = `Usage: npm run lab -- [options]   (or: make lab WORKERS=3 MODE=stream)

  --workers N        workers to start, 0..50 (env WORKERS, default 2)
  --mode M           ${DELIVERY_MODES.join(' | ')} (env MODE, default stream)
  --stack S          the workers' client stack: ${STACK_NAMES.join(' | ')} (env STACK, default grpc-js)
  --python-workers N more workers on the c-core stack (the Python worker) beside those, 0..50
                     (env PYTHON_WORKERS, default 0): a mix, e.g. --workers 2 --python-workers 1
  --prefetch N       credit mode prefetch (env PREFETCH, default 1)
  --delay MS         processing delay per message (env PROCESSING_DELAY_MS, default 100)
  --rate R           messages/s published (env PRODUCER_RATE, default 15)
  --burst N          messages published at start (env PRODUCER_BURST, default 300)
  --payload BYTES    payload size (env PAYLOAD_BYTES, default 100)
  --high RATIO       share of high-priority messages 0..1 (env HIGH_PRIORITY_RATIO, default 0.05)
  --port P           the (first) sidecar's gRPC port, 0 for a free one (env SIDECAR_GRPC_PORT, default 50051)
  --metrics-port P   its /metrics port (env SIDECAR_METRICS_PORT, default 0: a free one;
                     other sidecars and the workers always get free ports, so the lab runs beside \`make up\`)

  The queue behind the sidecars:
  --queue Q          ${QUEUE_CHOICES.join(' | ')} (env QUEUE, default memory)
  --queue-url URL    rabbitmq: this broker (env QUEUE_URL); without it the lab starts a
                     RabbitMQ node of its own on free ports (Debian's rabbitmq-server)
  --queue-name NAME  rabbitmq: the queue (env QUEUE_NAME, default backlog-lab)
  --queue-prefetch N rabbitmq: each sidecar's prefetch upstream (env QUEUE_PREFETCH, default 500)
  --upstream-ack A   rabbitmq, stream mode: ${STREAM_UPSTREAM_ACKS.join(' | ')} (env STREAM_UPSTREAM_ACK, default dispatch)
  --sidecars N       rabbitmq: sidecars on the one queue, 1..20, workers spread over them (env SIDECARS, default 1)
  --topology T       ${TOPOLOGIES.join(' | ')} (env TOPOLOGY, default shared): per-pod gives each worker
                     a sidecar of its own (needs rabbitmq; --sidecars does not apply)

  --verbose          print every process's log lines

With the memory queue the (one) sidecar's built-in producer publishes; with
rabbitmq the lab publishes itself, through whichever sidecar is up, so the
load stays the same however many sidecars come and go.

Keys while running: + add a worker (per-pod: a worker and its sidecar),
- stop the newest (SIGTERM), k kill the newest (SIGKILL; per-pod: the
worker and its sidecar, as a pod dies), q or Ctrl-C quit. SIGUSR1 to the
lab's pid (printed at start) also adds a worker.
`;

export interface LabOptions {
  readonly workers: number;
  readonly mode: (typeof DELIVERY_MODES)[number];
  readonly stack: Stack;
  /** More workers on the c-core stack, beside the `workers` on `stack`. */
  readonly pythonWorkers: number;
  readonly prefetch: number;
  readonly delay: number;
  readonly rate: number;
  readonly burst: number;
  readonly payload: number;
  readonly high: number;
  readonly port: number;
  readonly metricsPort: number;
  readonly queue: (typeof QUEUE_CHOICES)[number];
  /** rabbitmq: the broker given; undefined: the lab starts its own. */
  readonly queueUrl: string | undefined;
  readonly queueName: string;
  readonly queuePrefetch: number;
  readonly upstreamAck: StreamUpstreamAck;
  /** shared: how many sidecars; per-pod: 0 (one per worker). */
  readonly sidecars: number;
  readonly topology: Topology;
  readonly verbose: boolean;
}

export function parseLabOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): LabOptions | 'help' {
  const values = parseFlags(argv, {
    workers: { type: 'string' }, mode: { type: 'string' }, stack: { type: 'string' }, 'python-workers': { type: 'string' }, prefetch: { type: 'string' }, delay: { type: 'string' },
    rate: { type: 'string' }, burst: { type: 'string' }, payload: { type: 'string' }, high: { type: 'string' },
    port: { type: 'string' }, 'metrics-port': { type: 'string' },
    queue: { type: 'string' }, 'queue-url': { type: 'string' }, 'queue-name': { type: 'string' }, 'queue-prefetch': { type: 'string' },
    'upstream-ack': { type: 'string' }, sidecars: { type: 'string' }, topology: { type: 'string' },
    verbose: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
  });
  if (values.help) return 'help';
  const queue = choiceOption(values.queue, env, { flag: 'queue', env: 'QUEUE', default: 'memory', choices: QUEUE_CHOICES });
  const topology = choiceOption(values.topology, env, { flag: 'topology', env: 'TOPOLOGY', default: 'shared', choices: TOPOLOGIES });
  const sidecarsGiven = values.sidecars !== undefined || (env.SIDECARS ?? '') !== '';
  const sidecars = numberOption(values.sidecars, env, { flag: 'sidecars', env: 'SIDECARS', default: 1, min: 1, max: 20 });
  const queueUrl = values['queue-url'] ?? (env.QUEUE_URL === '' ? undefined : env.QUEUE_URL);
  const queueName = values['queue-name'] ?? (env.QUEUE_NAME === '' || env.QUEUE_NAME === undefined ? 'backlog-lab' : env.QUEUE_NAME);
  if (queue === 'memory') {
    // Several sidecars on the memory queue would be several queues, each with its own messages.
    if (sidecars > 1) throw new UsageError(`--sidecars ${sidecars} needs --queue rabbitmq: with the memory queue each sidecar would be a queue of its own`);
    if (topology === 'per-pod') throw new UsageError('--topology per-pod needs --queue rabbitmq: with the memory queue each pod\'s sidecar would be a queue of its own');
    if (values['queue-url'] !== undefined) throw new UsageError('--queue-url needs --queue rabbitmq');
  }
  if (topology === 'per-pod' && sidecarsGiven) throw new UsageError('--sidecars does not apply to --topology per-pod: every worker gets a sidecar of its own');
  if (queue === 'rabbitmq' && queueUrl !== undefined) {
    const problem = checkAmqpUrl(queueUrl);
    if (problem !== undefined) throw new UsageError(`--queue-url ${problem}`);
  }
  if (queueName === '' || queueName.startsWith('amq.')) throw new UsageError(`--queue-name must be a queue name not starting with 'amq.', got '${queueName}'`);
  return {
    workers: numberOption(values.workers, env, { flag: 'workers', env: 'WORKERS', default: 2, min: 0, max: 50 }),
    mode: choiceOption(values.mode, env, { flag: 'mode', env: 'MODE', default: 'stream', choices: DELIVERY_MODES }),
    stack: choiceOption(values.stack, env, { flag: 'stack', env: 'STACK', default: 'grpc-js', choices: STACK_NAMES }),
    pythonWorkers: numberOption(values['python-workers'], env, { flag: 'python-workers', env: 'PYTHON_WORKERS', default: 0, min: 0, max: 50 }),
    prefetch: numberOption(values.prefetch, env, { flag: 'prefetch', env: 'PREFETCH', default: 1, min: 1, max: 100_000 }),
    delay: numberOption(values.delay, env, { flag: 'delay', env: 'PROCESSING_DELAY_MS', default: 100, min: 0, max: 3_600_000 }),
    rate: numberOption(values.rate, env, { flag: 'rate', env: 'PRODUCER_RATE', default: 15, min: 0, max: 100_000, integer: false }),
    burst: numberOption(values.burst, env, { flag: 'burst', env: 'PRODUCER_BURST', default: 300, min: 0, max: 10_000_000 }),
    payload: numberOption(values.payload, env, { flag: 'payload', env: 'PAYLOAD_BYTES', default: 100, min: 0, max: 1024 * 1024 }),
    high: numberOption(values.high, env, { flag: 'high', env: 'HIGH_PRIORITY_RATIO', default: 0.05, min: 0, max: 1, integer: false }),
    port: numberOption(values.port, env, { flag: 'port', env: 'SIDECAR_GRPC_PORT', default: 50051, min: 0, max: 65535 }),
    metricsPort: numberOption(values['metrics-port'], env, { flag: 'metrics-port', env: 'SIDECAR_METRICS_PORT', default: 0, min: 0, max: 65535 }),
    queue,
    queueUrl: queue === 'rabbitmq' ? queueUrl : undefined,
    queueName,
    queuePrefetch: numberOption(values['queue-prefetch'], env, { flag: 'queue-prefetch', env: 'QUEUE_PREFETCH', default: 500, min: 1, max: 65_535 }),
    upstreamAck: choiceOption(values['upstream-ack'], env, { flag: 'upstream-ack', env: 'STREAM_UPSTREAM_ACK', default: 'dispatch', choices: STREAM_UPSTREAM_ACKS }),
    sidecars: topology === 'per-pod' ? 0 : sidecars,
    topology,
    verbose: values.verbose,
  };
}
