/**
 * What a scenario is to the runner and the report. Each scenario is one file
 * exporting one `Scenario`, registered in index.ts; the runner, the summary
 * and the report reach it only through this interface, so adding one is
 * that file and a line in the registry.
 *
 * Run is what one run measures (results.json keeps one per variant), Params
 * its part of the profiles, Summary what one run puts in the report's first
 * table. The registry's mapped types carry all three from here to
 * results.json and to the report.
 */
import type { Profile, ProfileName } from '../profiles.ts';
import type { Chart } from '../report/chart.ts';
import type { ScenarioRun } from '../results.ts';
import type { Comparison, Evidence } from '../summary/comparison.ts';
import type { FigurePart } from '../summary/figure.ts';
import type { ModeId } from '../variants/modes.ts';
import type { QueueId } from '../variants/queues.ts';
import type { Shown, Variant } from '../variants/variant.ts';
import type { RunContext } from './context.ts';

export interface ScenarioContext<Params> extends RunContext {
  readonly params: Params;
}

export interface Scenario<Id extends string, Run extends { readonly variant: Variant }, Params, Summary = never> {
  readonly id: Id;
  /** A heading: what happens, in a few words. */
  readonly title: string;
  /**
   * The delivery modes it runs in: every one asked for (`--mode`), or a
   * fixed list whatever --mode says (the size sweep measures stream's
   * buffers). Either way once per mode and per stack and queue asked for.
   */
  readonly modes: 'asked' | readonly ModeId[];
  /**
   * The queues it runs on: every one asked for (`--queue`; the default), or
   * a fixed list whatever --queue says (the topology scenario needs a broker).
   */
  readonly queues?: 'asked' | readonly QueueId[];
  /** Its parameters in each profile. */
  readonly profile: Readonly<Record<ProfileName, Params>>;
  run(ctx: ScenarioContext<Params>, variant: Variant): Promise<Run>;
  /** The progress line once a run is done ("max in transit 57"). */
  note(run: Run): string;
  /** Present when a run replays traffic through a session (context.ts): its part in the cross-scenario figures. */
  readonly measures?: Measures<Run>;
  /** Present when it answers some of the first table's figures. */
  readonly summary?: ScenarioSummary<Run, Params, Summary>;
  /** Sentences of the conclusion, comparing the modes of one stack and queue. */
  conclude?(c: Comparison<Run, Summary, Params>): string[];
  /** Clauses for the conclusion's closing answer. */
  evidence?(c: Comparison<Run, Summary, Params>): Evidence;
  /** Its section of report.md: heading, charts, the numbers behind them. */
  section(view: SectionView<Run, Params>): string[];
  charts?(runs: readonly Run[], shown: Shown): Chart[];
}

export interface Measures<Run> {
  /** The session measurements of a run (finish() in context.ts). */
  of(run: Run): ScenarioRun;
  /**
   * Its client backlog may stand for figure 2: the lowest rank that ran
   * wins (steady load first). Ranked scenarios are also the backlog chart.
   */
  readonly backlogRank?: number;
  /** Role of the workers that join later, for the first-message chart. */
  readonly newcomerRole?: string;
}

export interface ScenarioSummary<Run, Params, Summary> {
  of(run: Run, params: Params): Summary;
  /** Cells of the figures it answers, in table order. */
  readonly figures: readonly FigurePart<Summary, Params>[];
}

export interface SectionView<Run, Params> {
  /** Every run of this scenario, in variant order. */
  readonly runs: readonly Run[];
  readonly params: Params;
  readonly profile: Profile;
  /** The variant as a table cell: `stream`, or `stream` · `c-core` when stacks vary. */
  readonly label: (variant: Variant) => string;
  /** A chart's image and SVG link, or nothing if it was not drawn. */
  readonly chart: (name: string) => string[];
  /** A markdown link target to a file of the repository (`docs/design.md#…`), from where the report is written. */
  readonly link: (path: string) => string;
}
