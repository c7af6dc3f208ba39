/**
 * A variant is what one scenario run is measured on: a delivery mode, the
 * worker's client stack and the queue behind the sidecar. Results are keyed
 * by it; the report names only the dimensions that vary.
 */
import { MODE_IDS, type ModeId } from './modes.ts';
import { QUEUE_IDS, type QueueId } from './queues.ts';
import { STACK_IDS, type StackId } from './stacks.ts';

export interface Variant {
  readonly mode: ModeId;
  readonly stack: StackId;
  readonly queue: QueueId;
}

/** `mode/stack/queue`: the key of a run in results.json. */
export type VariantKey = string;

export function variantKey(v: Variant): VariantKey {
  return `${v.mode}/${v.stack}/${v.queue}`;
}

/** Every combination, in report order: by mode, then stack, then queue, so rows of one mode sit together. */
export function variantsOf(modes: readonly ModeId[], stacks: readonly StackId[], queues: readonly QueueId[]): Variant[] {
  return modes.flatMap((mode) => stacks.flatMap((stack) => queues.map((queue) => ({ mode, stack, queue }))));
}

/** The stack and queue of a variant as one string: what the conclusion groups by. */
export function stackAndQueue(v: Pick<Variant, 'stack' | 'queue'>): string {
  return `${v.stack}/${v.queue}`;
}

/** Which dimensions besides the mode a set of runs varies in: only those are worth a column. */
export interface Shown {
  readonly stack: boolean;
  readonly queue: boolean;
}

export function shownOf(variants: readonly Variant[]): Shown {
  return {
    stack: new Set(variants.map((v) => v.stack)).size > 1,
    queue: new Set(variants.map((v) => v.queue)).size > 1,
  };
}

/** `stream`, or `stream · c-core · rabbitmq` when those vary. */
export function variantLabel(v: Variant, shown: Shown): string {
  return [v.mode, ...(shown.stack ? [v.stack] : []), ...(shown.queue ? [v.queue] : [])].join(' · ');
}

/** Canonical order for sorting runs of several variants. */
export function variantOrder(v: Variant): number {
  return (MODE_IDS.indexOf(v.mode) * STACK_IDS.length + STACK_IDS.indexOf(v.stack)) * QUEUE_IDS.length + QUEUE_IDS.indexOf(v.queue);
}
