/**
 * A figure is a column of the report's first table: one of the questions of
 * docs/design.md#what-the-lab-measures. Scenarios answer them; two scenarios
 * answering the same figure share its column (`hoard · scale-out`).
 */
import type { Profile } from '../profiles.ts';

export interface Figure {
  readonly id: string;
  readonly header: string;
  /** What the column shows, for the legend under the table. */
  readonly legend: string;
}

export interface FigurePart<Summary, Params> {
  readonly figure: Figure;
  cell(summary: Summary): string;
  /** This scenario's set-up, appended to the figure's legend ("hoard: 60 messages, ..."). */
  setup?(params: Params, profile: Profile): string;
}
