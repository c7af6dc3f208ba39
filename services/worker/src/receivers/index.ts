/**
 * The worker's receivers, one per delivery mode of the contract
 * (common/modes.ts): a mode without a receiver does not compile. A new mode
 * is one receiver file and one line here.
 */
import type { DeliveryMode } from '@backlog-lab/common/modes';
import { createCreditReceiver } from './credit.ts';
import { createPollReceiver } from './poll.ts';
import type { ReceiverFactory } from './receiver.ts';
import { createStreamReceiver } from './stream.ts';

export const RECEIVERS: Readonly<Record<DeliveryMode, ReceiverFactory>> = {
  stream: createStreamReceiver,
  credit: createCreditReceiver,
  poll: createPollReceiver,
};
