/**
 * The worker's client stack: which gRPC implementation receives the
 * messages. Each entry names how startLab starts one of its workers; the
 * lab adds the environment every worker reads (sidecar address, ports 0,
 * DELIVERY_MODE, PROCESSING_DELAY_MS, OTEL_*).
 *
 * A stack's worker must keep the TypeScript worker's observable contract,
 * because the runner measures through it: a `worker started` JSON log line
 * with `metrics_port`, a `message processed` debug line per message,
 * `worker_messages_started_total` and `worker_client_backlog_seconds` on
 * /metrics, and a `backlog wait` span per delivery over OTLP/HTTP JSON.
 *
 * Adding one (a Python grpcio worker on C-core, say) is one entry:
 *   'c-core': { id: 'c-core', title: 'a Python worker on grpcio (gRPC C-core)',
 *               command: ['python3', `${REPO_ROOT}/services/worker-python/main.py`] },
 */
import { serviceCommand } from '../../tools/lib/processes.ts';
import type { Env } from '../lib/lab.ts';

export interface StackSpec {
  readonly id: string;
  /** For the report: which worker, on which gRPC library ("the TypeScript worker ... on @grpc/grpc-js"). */
  readonly title: string;
  /** Program and arguments of one worker; argv[0] is looked up on PATH. */
  readonly command: readonly string[];
  /** Environment this stack's worker needs besides the lab's (none for grpc-js). */
  readonly env?: Env;
}

export const STACKS = {
  'grpc-js': { id: 'grpc-js', title: 'the TypeScript worker (services/worker) on @grpc/grpc-js', command: serviceCommand('worker') },
} as const satisfies Readonly<Record<string, StackSpec>>;

export type StackId = keyof typeof STACKS;
export const STACK_IDS: readonly StackId[] = Object.values(STACKS).map((s) => s.id);
