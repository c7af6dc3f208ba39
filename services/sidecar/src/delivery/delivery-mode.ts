/**
 * A delivery mode plugs into the sidecar the way a load-balancing policy
 * plugs into grpc-js: it names itself, gives the policy its holders carry
 * (what the dispatcher asks instead of the mode's name) and serves its RPCs.
 * The modes are registered in ./index.ts; nothing else lists them.
 */
import type { QueueHandlers } from '@backlog-lab/common/contract';
import type { Logger } from '@backlog-lab/common/logger';
import type { SidecarConfig } from '../config.ts';
import type { SidecarMetrics } from '../metrics.ts';
import type { Dispatcher } from '../queue/dispatcher.ts';
import type { DeliveryPolicy } from '../queue/policy.ts';
import type { CallGuard } from './server-calls.ts';

export interface ModeContext {
  readonly dispatcher: Dispatcher;
  readonly config: SidecarConfig;
  readonly logger: Logger;
  readonly metrics: SidecarMetrics;
  /** Admits a worker's call: closing, worker id, identity, admission. */
  readonly guard: CallGuard;
}

export interface DeliveryMode {
  readonly name: string;
  readonly policy: DeliveryPolicy;
  /** The Queue RPCs this mode serves. */
  readonly handlers: Partial<QueueHandlers>;
  /** Ends this mode's open calls for shutdown (streams with OK, pending Pulls empty). */
  endAll(): void;
}

export type DeliveryModeFactory = (ctx: ModeContext) => DeliveryMode;
