/** Writes a run's directory: results.json, report.md, charts/*.svg and charts/*.png. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_SCHEMA, type Results } from '../results.ts';
import { derive } from '../summary/derive.ts';
import { buildCharts } from './charts.ts';
import { formatJson } from './json.ts';
import { repoLink } from './links.ts';
import { renderMarkdown } from './markdown.ts';
import { renderSvg, svgToPng } from './render.ts';

export async function writeReport(outDir: string, results: Results): Promise<void> {
  mkdirSync(join(outDir, 'charts'), { recursive: true });
  writeFileSync(join(outDir, 'results.json'), `${formatJson(results)}\n`);
  const charts = buildCharts(results);
  for (const chart of charts) {
    const svg = await renderSvg(chart.spec);
    writeFileSync(join(outDir, 'charts', `${chart.name}.svg`), svg);
    writeFileSync(join(outDir, 'charts', `${chart.name}.png`), svgToPng(svg));
  }
  writeFileSync(join(outDir, 'report.md'), renderMarkdown(results, charts, (path) => repoLink(outDir, path)));
}

/**
 * Writes the report again from a saved results.json: the summaries and the
 * conclusion are derived anew from the measurements, then the charts and
 * report.md. The measurements themselves are left as they are.
 */
export async function rewriteReport(outDir: string): Promise<void> {
  await writeReport(outDir, derive(readResults(outDir)));
}

/** The results.json of a run's directory; throws, saying why, if there is none or an older runner wrote it. */
export function readResults(outDir: string): Results {
  const path = join(outDir, 'results.json');
  let parsed: { schema?: unknown };
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as { schema?: unknown };
  } catch (error) {
    throw new Error(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (parsed.schema !== RESULTS_SCHEMA) throw new Error(`${path}: schema ${JSON.stringify(parsed.schema)}, expected ${RESULTS_SCHEMA} (a run of an older runner: run it again)`);
  return parsed as Results;
}
