/** The delivery modes the sidecar serves. A new mode is one file and one line here. */
import { createCreditMode } from './credit-mode.ts';
import type { DeliveryModeFactory } from './delivery-mode.ts';
import { createPollMode } from './poll-mode.ts';
import { createStreamMode } from './stream-mode.ts';

export const DELIVERY_MODES: readonly DeliveryModeFactory[] = [createStreamMode, createCreditMode, createPollMode];
