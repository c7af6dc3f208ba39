/**
 * Priority levels, lowest first. A small fixed set keeps the queue O(1) per
 * operation and metric labels bounded.
 */
export const PRIORITY_NAMES = ['low', 'normal', 'high'] as const;
export type PriorityName = (typeof PRIORITY_NAMES)[number];
export const PRIORITY_LEVELS = PRIORITY_NAMES.length;
export const HIGHEST_PRIORITY = PRIORITY_LEVELS - 1;
export const PRIORITY_LOW = 0;
export const PRIORITY_NORMAL = 1;
export const PRIORITY_HIGH = 2;

export function priorityName(priority: number): PriorityName {
  return PRIORITY_NAMES[priority] ?? 'low';
}
