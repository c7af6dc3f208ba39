/**
 * Scrapes and parses a /metrics endpoint (Prometheus text 0.0.4, or
 * OpenMetrics with exemplars) into samples, for the tests and the experiment
 * runner. Enough of the format for what prom-client writes; not a general parser.
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly exemplar?: { readonly labels: Readonly<Record<string, string>>; readonly value: number };
}

export async function scrape(port: number, openMetrics = false, host = '127.0.0.1'): Promise<Sample[]> {
  const response = await fetch(`http://${host}:${port}/metrics`, {
    headers: openMetrics ? { accept: 'application/openmetrics-text; version=1.0.0' } : {},
  });
  if (!response.ok) throw new Error(`GET /metrics on ${port}: HTTP ${response.status}`);
  return parseMetrics(await response.text());
}

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [sample, exemplar] = splitExemplar(line);
    const parsed = parseSample(sample);
    if (!parsed) continue;
    if (exemplar) {
      const e = parseSample(`x${exemplar}`);
      if (e) parsed.exemplar = { labels: e.labels, value: e.value };
    }
    samples.push(parsed);
  }
  return samples;
}

function splitExemplar(line: string): [string, string | undefined] {
  const at = line.indexOf(' # {');
  return at < 0 ? [line, undefined] : [line.slice(0, at), line.slice(at + 3)];
}

function parseSample(line: string): { name: string; labels: Record<string, string>; value: number; exemplar?: Sample['exemplar'] } | undefined {
  const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
  if (!match) return undefined;
  const labels: Record<string, string> = {};
  for (const m of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
    labels[m[1] ?? ''] = (m[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return { name: match[1] ?? '', labels, value: Number(match[3]) };
}

/** Sum of every sample with this name whose labels include `where`. */
export function sum(samples: readonly Sample[], name: string, where: Readonly<Record<string, string>> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}
