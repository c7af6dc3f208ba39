/**
 * The report's first table: one row per mode and stack (and queue when more
 * than one ran), one column per figure. Figures 1 and 2 come from every
 * session run; the others from the scenarios that answer them, side by side
 * when two answer the same one.
 */
import type { Results, VariantSummary } from '../results.ts';
import type { Profile } from '../profiles.ts';
import { ranIds, REGISTRY, type Registry, type ScenarioId, type ScenarioResultsOf } from '../scenarios/index.ts';
import type { Figure } from '../summary/figure.ts';
import { BACKLOG, IN_TRANSIT } from '../summary/figures.ts';
import { measuredRuns } from '../summary/measured.ts';
import { shownOf, type VariantKey } from '../variants/variant.ts';
import { DASH, formatSeconds, listing } from './format.ts';

interface Column {
  readonly figure: Figure;
  readonly scenarios: string[];
  readonly cells: ((key: VariantKey) => string)[];
  readonly setups: string[];
}

export function summaryTable(results: Results, link: (path: string) => string): string[] {
  const queues = shownOf(results.variants).queue;
  const measured = measuredRuns(results.scenarios).length > 0;
  const backlog = results.summary.some((m) => m.backlog);
  const columns = figureColumns(results);
  const headers = ['mode', 'stack', ...(queues ? ['queue'] : []), ...(measured ? [IN_TRANSIT.header] : []), ...(backlog ? [BACKLOG.header] : []), ...columns.map(header)];
  const rows = [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---|').join('')}`];
  for (const m of results.summary) {
    const cells = [`\`${m.variant.mode}\``, `\`${m.variant.stack}\``, ...(queues ? [`\`${m.variant.queue}\``] : [])];
    if (measured) cells.push(maxCell(m));
    if (backlog) cells.push(backlogCell(m));
    for (const c of columns) cells.push(c.cells.map((cell) => cell(m.key)).join(' · '));
    rows.push(`| ${cells.join(' | ')} |`);
  }
  return [...rows, '', ...legend(results, columns, link)];
}

function header(c: Column): string {
  return c.scenarios.length > 1 ? `${c.figure.header} (${c.scenarios.join(' · ')})` : c.figure.header;
}

/** The scenarios' figures in the order they first appear in the registry; one answered by two scenarios is one column. */
function figureColumns(results: Results): Column[] {
  const columns = new Map<string, Column>();
  for (const id of ranIds(results.scenarios)) {
    for (const part of figureParts(REGISTRY[id], results.scenarios[id], results.profile)) {
      const column = columns.get(part.figure.id) ?? { figure: part.figure, scenarios: [], cells: [], setups: [] };
      column.scenarios.push(id);
      column.cells.push(part.cell);
      if (part.setup) column.setups.push(part.setup);
      columns.set(part.figure.id, column);
    }
  }
  return [...columns.values()];
}

function figureParts<K extends ScenarioId>(scenario: Registry[K], own: ScenarioResultsOf<K> | undefined, profile: Profile): { figure: Figure; cell: (key: VariantKey) => string; setup: string | undefined }[] {
  const { summary } = scenario;
  if (!summary || !own) return [];
  return summary.figures.map((part) => ({
    figure: part.figure,
    cell: (key: VariantKey) => {
      const s = own.summary[key];
      return s === undefined ? DASH : part.cell(s);
    },
    setup: part.setup?.(own.params, profile),
  }));
}

function maxCell(m: VariantSummary): string {
  return m.maxInTransit ? `**${m.maxInTransit.value}** (${m.maxInTransit.scenario})` : DASH;
}

function backlogCell(m: VariantSummary): string {
  if (!m.backlog) return DASH;
  const d = m.backlog.distribution;
  return `${[d.p50, d.p95, d.p99].map(formatSeconds).join(' / ')} / **${formatSeconds(d.max)}**`;
}

function legend(results: Results, columns: readonly Column[], link: (path: string) => string): string[] {
  const number = (f: Figure): string => f.header.split(' ')[0] ?? '';
  const out = [`How to read the table ([docs/design.md](${link('docs/design.md#what-the-lab-measures')})):`, ''];
  const measured = measuredRuns(results.scenarios);
  if (measured.length > 0) {
    const over = listing([...new Set(measured.map((m) => m.scenario))]);
    const backlogFrom = listing([...new Set(results.summary.flatMap((m) => (m.backlog ? [m.backlog.scenario] : [])))]);
    out.push(`${number(IN_TRANSIT)} ${IN_TRANSIT.legend}, sampled every ${results.profile.sampleIntervalMs} ms, over ${over}; the scenario where it peaked in brackets.`);
    if (backlogFrom) out.push(`${number(BACKLOG)} ${BACKLOG.legend}, in the ${backlogFrom} scenario (the steadiest load that ran).`);
  }
  for (const c of columns) {
    out.push(`${number(c.figure)} ${c.figure.legend}${c.setups.length > 0 ? ` ${capitalize(c.setups.join('; '))}.` : ''}`);
  }
  return out;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
