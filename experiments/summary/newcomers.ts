/**
 * Figures 3a and 3b for a scenario in which workers join later: what was in
 * transit when they came up, what they took of it, and how soon each got
 * its first message.
 */
import type { Arrival } from '../lib/arrival.ts';
import { DASH, formatSeconds } from '../report/format.ts';
import type { ScenarioRun } from '../results.ts';
import type { FigurePart } from './figure.ts';
import { FIRST_MESSAGE, TAKEN_OVER } from './figures.ts';

export interface NewcomerSummary extends Arrival {
  /** Per new worker; null: it never got a message. */
  readonly timeToFirstMessageS: readonly (number | null)[];
}

export function newcomerSummary(arrival: Arrival, run: ScenarioRun, role: string): NewcomerSummary {
  return { ...arrival, timeToFirstMessageS: run.workers.filter((w) => w.role === role).map((w) => w.timeToFirstMessageS) };
}

/** The slowest new worker's time to its first message; "never" if none got one. */
export function slowestFirst(times: readonly (number | null)[]): string {
  if (times.length === 0) return DASH;
  const never = times.filter((t) => t === null).length;
  if (never > 0) return never === times.length ? '**never**' : `${never} never`;
  return formatSeconds(Math.max(...times.filter((t): t is number => t !== null)));
}

/** The two figures; this scenario's set-up goes in 3a's legend, which 3b shares. */
export function newcomerFigures<Params>(setup: FigurePart<NewcomerSummary, Params>['setup']): FigurePart<NewcomerSummary, Params>[] {
  return [
    { figure: FIRST_MESSAGE, cell: (s) => slowestFirst(s.timeToFirstMessageS), setup },
    { figure: TAKEN_OVER, cell: (s) => `${s.inTransit} → ${s.newWorkersGot}` },
  ];
}
