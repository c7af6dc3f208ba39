/**
 * The delivery modes of the contract (proto/backlog/v1/backlog.proto): the
 * names workers choose with DELIVERY_MODE and both sides use as the `mode`
 * label. The worker's receivers and the sidecar's modes are registered
 * against this list.
 */
export const DELIVERY_MODES = ['stream', 'credit', 'poll'] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];
