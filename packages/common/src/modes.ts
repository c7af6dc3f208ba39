/** The three ways a worker can receive messages; see proto/backlog/v1/backlog.proto. */
export const DELIVERY_MODES = ['stream', 'credit', 'poll'] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];
