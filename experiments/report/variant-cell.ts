/** A variant in a report table: its mode, and its stack and queue when those vary. */
import { type Shown, type Variant } from '../variants/variant.ts';

export function variantCell(v: Variant, shown: Shown): string {
  return [v.mode, ...(shown.stack ? [v.stack] : []), ...(shown.queue ? [v.queue] : [])].map((x) => `\`${x}\``).join(' · ');
}
