/**
 * The worker's client stack: which gRPC implementation receives the
 * messages. The harness knows how to start a worker of each stack
 * (packages/harness/src/lab-services.ts, STACKS); this names them for the
 * report and adds any environment a stack's workers need in a scenario.
 *
 * A stack's worker must keep the TypeScript worker's observable contract,
 * because the runner measures through it: the READY_FD announcement with
 * `metrics_port`, a `message processed` debug line per message with its
 * dispatch, start and end times, `worker_messages_started_total` and
 * `worker_client_backlog_seconds` on /metrics, and (where it traces) a
 * `backlog wait` span per delivery over OTLP/HTTP JSON.
 */
import type { Stack } from '@backlog-lab/harness/lab-services';
import type { Env } from '../lib/lab.ts';

/**
 * The forms of the backlog model (docs/design.md#the-backlog-model), one per
 * kind of client transport; the size sweep predicts a stack's count with the
 * form its entry names (experiments/scenarios/size-sweep/).
 *
 * - `call-buffers`: grpc-js on Node's http2: Q messages in the call, H bytes
 *   in Node's stream buffer and the window W, Q + (H + W)/M, plus 1..B in the
 *   sidecar.
 * - `grown-window`: a transport that keeps unread bytes inside its window and
 *   grows the window by BDP probing (gRPC C-core): grown window / M, less the
 *   message in hand, plus 1..B in the sidecar.
 */
export const BACKLOG_MODEL_IDS = ['call-buffers', 'grown-window'] as const;
export type BacklogModelId = (typeof BACKLOG_MODEL_IDS)[number];

export interface StackSpec {
  readonly id: Stack;
  /** For the report: which worker, on which gRPC library ("the TypeScript worker ... on @grpc/grpc-js"). */
  readonly title: string;
  /** Environment this stack's worker needs besides the lab's (none for grpc-js). */
  readonly env?: Env;
  /** Its worker exports a `backlog wait` span per delivery (OpenTelemetry); the per-message records come from the logs either way. */
  readonly traces: boolean;
  /** The form of the backlog model its client follows. */
  readonly backlogModel: BacklogModelId;
}

export const STACKS = {
  'grpc-js': { id: 'grpc-js', title: 'the TypeScript worker (services/worker) on @grpc/grpc-js', traces: true, backlogModel: 'call-buffers' },
  'c-core': { id: 'c-core', title: 'the Python worker (services/worker-python) on grpcio, gRPC C-core, with its default BDP probing', traces: false, backlogModel: 'grown-window' },
} as const satisfies Readonly<Record<string, StackSpec>>;

export type StackId = keyof typeof STACKS;
export const STACK_IDS: readonly StackId[] = Object.values(STACKS).map((s) => s.id);
