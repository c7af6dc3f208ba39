/**
 * Reads the provisioned Grafana dashboards (deploy/grafana/dashboards) and
 * pulls out every Prometheus query in them (panel targets, annotations and the
 * selectors inside template-variable queries) with Grafana's variables
 * substituted, so tests can hand them to promtool or to a live Prometheus.
 *
 * Variables get the value Grafana sends for "All" (the variable's allValue,
 * e.g. `.*`), which selects every series, so a query that returns nothing
 * here returns nothing on the dashboard either.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT, asArray, asRecord, asString, isRecord, optionalArray, type JsonRecord } from './tools.ts';

export const DASHBOARD_DIR = path.join(ROOT, 'deploy/grafana/dashboards');
export const PROVISIONING_DIR = path.join(ROOT, 'deploy/grafana/provisioning');

export interface Dashboard {
  /** Path relative to the repository root. */
  file: string;
  uid: string;
  title: string;
  json: JsonRecord;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  json: JsonRecord;
}

export interface DashboardQuery {
  dashboard: string;
  /** Where the query sits: a panel title, `annotation: NAME` or `variable: NAME`. */
  where: string;
  refId: string;
  /** uid of the query's datasource (the target's, else its panel's). */
  datasourceUid: string | undefined;
  /** Whether the panel asks for exemplars with this query. */
  exemplar: boolean;
  /** The expression as written in the dashboard, variables and all. */
  expr: string;
  /** The expression with every variable substituted: plain PromQL. */
  promql: string;
}

/**
 * Values for Grafana's built-in variables. `$__rate_interval` is four scrape
 * intervals (the Prometheus datasource's timeInterval is 5s), the shortest
 * window a rate() over it is sure to find two samples in.
 */
export const BUILTIN_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '20s',
  __interval: '5s',
  __interval_ms: '5000',
  __range: '15m',
  __range_s: '900',
  __range_ms: '900000',
};

export function loadDashboards(dir = DASHBOARD_DIR): Dashboard[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const file = path.relative(ROOT, path.join(dir, name));
      const json = asRecord(JSON.parse(readFileSync(path.join(dir, name), 'utf8')), file);
      return { file, uid: asString(json.uid, `${file} uid`), title: asString(json.title, `${file} title`), json };
    });
}

/** Every panel, including those inside (collapsed) rows; rows themselves too. */
export function allPanels(dashboard: Dashboard): Panel[] {
  const result: Panel[] = [];
  const walk = (list: unknown, where: string): void => {
    for (const [index, item] of optionalArray(list, where).entries()) {
      const json = asRecord(item, `${where}[${index}]`);
      const title = typeof json.title === 'string' ? json.title : '';
      result.push({ id: typeof json.id === 'number' ? json.id : -1, type: asString(json.type, `${where}[${index}].type`), title, json });
      walk(json.panels, `${where}[${index}].panels`);
    }
  };
  walk(dashboard.json.panels, `${dashboard.file} panels`);
  return result;
}

/** Template variables of a dashboard: name -> the value used for substitution. */
export function variableValues(dashboard: Dashboard): Record<string, string> {
  const values: Record<string, string> = {};
  const templating = isRecord(dashboard.json.templating) ? dashboard.json.templating : {};
  for (const [index, item] of optionalArray(templating.list, `${dashboard.file} templating.list`).entries()) {
    const variable = asRecord(item, `${dashboard.file} templating.list[${index}]`);
    const name = asString(variable.name, `${dashboard.file} variable ${index} name`);
    values[name] = variable.includeAll === true && typeof variable.allValue === 'string' ? variable.allValue : firstOption(variable) ?? '.*';
  }
  return values;
}

function firstOption(variable: JsonRecord): string | undefined {
  const options = optionalArray(variable.options, 'variable options');
  for (const option of options) {
    if (isRecord(option) && typeof option.value === 'string' && option.value !== '$__all') return option.value;
  }
  return undefined;
}

const VARIABLE_REFERENCE = /\$\{(\w+)(?::[\w]+)?\}|\[\[(\w+)\]\]|\$(\w+)/g;

/** Names of the variables an expression refers to ($name, ${name}, ${name:fmt}, [[name]]). */
export function referencedVariables(expr: string): string[] {
  return [...expr.matchAll(VARIABLE_REFERENCE)].map((match) => match[1] ?? match[2] ?? match[3] ?? '');
}

/** Replaces every Grafana variable; throws on one that is neither defined nor built in. */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(VARIABLE_REFERENCE, (whole, braced: string | undefined, bracketed: string | undefined, bare: string | undefined) => {
    const name = braced ?? bracketed ?? bare ?? '';
    const value = values[name] ?? BUILTIN_VARIABLES[name];
    if (value === undefined) throw new Error(`unknown Grafana variable ${whole} in: ${expr}`);
    return value;
  });
}

function datasourceUid(value: unknown): string | undefined {
  return isRecord(value) && typeof value.uid === 'string' ? value.uid : undefined;
}

/**
 * Every Prometheus query of a dashboard. Template-variable queries are
 * Grafana functions, not PromQL: `label_values(selector, label)` and
 * `query_result(expr)` contribute the PromQL inside them.
 */
export function dashboardQueries(dashboard: Dashboard, overrides: Readonly<Record<string, string>> = {}): DashboardQuery[] {
  const values = { ...variableValues(dashboard), ...overrides };
  const queries: DashboardQuery[] = [];
  const add = (where: string, refId: string, uid: string | undefined, expr: string, exemplar: boolean): void => {
    queries.push({ dashboard: dashboard.uid, where, refId, datasourceUid: uid, exemplar, expr, promql: substituteVariables(expr, values) });
  };

  for (const panel of allPanels(dashboard)) {
    for (const [index, item] of optionalArray(panel.json.targets, `${panel.title} targets`).entries()) {
      const target = asRecord(item, `${dashboard.file} panel "${panel.title}" target ${index}`);
      if (typeof target.expr !== 'string') continue;
      const refId = typeof target.refId === 'string' ? target.refId : String(index);
      add(panel.title, refId, datasourceUid(target.datasource) ?? datasourceUid(panel.json.datasource), target.expr, target.exemplar === true);
    }
  }

  const annotations = isRecord(dashboard.json.annotations) ? dashboard.json.annotations : {};
  for (const [index, item] of optionalArray(annotations.list, 'annotations').entries()) {
    const annotation = asRecord(item, `${dashboard.file} annotation ${index}`);
    if (typeof annotation.expr !== 'string') continue;
    const name = typeof annotation.name === 'string' ? annotation.name : String(index);
    add(`annotation: ${name}`, 'annotation', datasourceUid(annotation.datasource), annotation.expr, false);
  }

  const templating = isRecord(dashboard.json.templating) ? dashboard.json.templating : {};
  for (const [index, item] of optionalArray(templating.list, 'templating').entries()) {
    const variable = asRecord(item, `${dashboard.file} variable ${index}`);
    if (variable.type !== 'query') continue;
    const name = asString(variable.name, `${dashboard.file} variable ${index} name`);
    const query = isRecord(variable.query) ? variable.query.query : variable.query;
    const inner = variableQueryPromql(asString(query, `${dashboard.file} variable ${name} query`));
    if (inner !== undefined) add(`variable: ${name}`, 'variable', datasourceUid(variable.datasource), inner, false);
  }
  return queries;
}

/** The PromQL inside a Grafana variable query, or undefined when it has none (label_names(), metrics()). */
export function variableQueryPromql(query: string): string | undefined {
  const trimmed = query.trim();
  const labelValues = /^label_values\((.*),\s*(\w+)\s*\)$/s.exec(trimmed);
  if (labelValues) return labelValues[1]?.trim();
  const queryResult = /^query_result\((.*)\)$/s.exec(trimmed);
  if (queryResult) return queryResult[1]?.trim();
  return undefined;
}

/** Every query of every provisioned dashboard. */
export function allDashboardQueries(dir = DASHBOARD_DIR): DashboardQuery[] {
  return loadDashboards(dir).flatMap((dashboard) => dashboardQueries(dashboard));
}

// PromQL words that look like metric names but are not. Functions are
// recognised by the `(` after them; these are the ones that can stand alone.
const PROMQL_KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'atan2', 'inf', 'nan',
]);

/**
 * Metric names a PromQL expression selects. Good enough for the dashboards'
 * own queries (not a full PromQL parser): strings, label matchers, grouping
 * lists, durations and function names are removed, and what is left that
 * looks like an identifier is a metric name.
 */
export function metricNames(promql: string): string[] {
  const stripped = promql
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+-?[\dsmhdwy]+/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (name === undefined || call !== undefined || PROMQL_KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names].sort();
}

/**
 * Lines of a Prometheus rule file with one recording rule per query, for
 * `promtool check rules`: promtool has no command that parses a bare
 * expression, but it parses (and rejects) every rule's `expr`.
 */
export function rulesFileFor(queries: readonly DashboardQuery[]): string {
  const lines = ['groups:', '  - name: dashboard-queries', '    rules:'];
  queries.forEach((query, index) => {
    lines.push(`      - record: dashboard:query_${index}`, `        expr: ${JSON.stringify(query.promql)}`);
  });
  return `${lines.join('\n')}\n`;
}

/** All the datasource uids the provisioning files define. */
export function provisionedDatasourceUids(file = path.join(PROVISIONING_DIR, 'datasources/datasources.yaml')): Set<string> {
  const config = asRecord(parseYaml(readFileSync(file, 'utf8')) as unknown, file);
  return new Set(asArray(config.datasources, `${file} datasources`).map((item, index) => asString(asRecord(item, `datasource ${index}`).uid, `datasource ${index} uid`)));
}
