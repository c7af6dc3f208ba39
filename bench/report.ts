/**
 * Turns the raw runs into bench/results.json and the markdown tables: a
 * median and a spread for every figure, and every figure divided by its
 * baseline. Ratios are paired by round (this round's contender over this
 * round's baseline, then the median of those), so drift of the machine
 * between rounds cancels instead of widening the spread.
 */
import { CREDIT_PREFETCHES, rabbitmqBareId, streamOf, type ContenderSpec } from './contenders.ts';
import type { MemoryReadingRecord, MemoryRuns } from './memory.ts';
import { summarize, type Summary } from './lib/summary.ts';

export interface RunRecord {
  readonly round: number;
  readonly messages: number;
  readonly seconds: number;
  readonly rate: number;
  readonly serverCpuMicrosPerMessage: number;
  readonly clientCpuMicrosPerMessage: number;
  readonly anomalies: readonly string[];
}

export interface ThroughputResult {
  readonly id: string;
  readonly kind: ContenderSpec['kind'];
  readonly mode: string | null;
  readonly prefetch: number | null;
  readonly telemetry: string | null;
  readonly description: string;
  readonly baseline: string | null;
  readonly messagesPerRun: number;
  readonly runs: readonly RunRecord[];
  readonly failures: readonly string[];
  readonly rate: Summary;
  /** Messages/s over the baseline's, paired by round. */
  readonly rateRatio: Summary | null;
  readonly serverCpuMicrosPerMessage: Summary;
  readonly serverCpuRatio: Summary | null;
  readonly clientCpuMicrosPerMessage: Summary;
  /** Credit rows: messages/s over `stream` at the same telemetry level, paired by round. */
  readonly rateRatioToStream: Summary | null;
}

export interface MemoryResult {
  readonly id: string;
  readonly description: string;
  readonly how: string;
  readonly messages: number;
  readonly rssBytes: Summary;
  readonly peakRssBytes: Summary;
  readonly heapUsedBytes: Summary | null;
  /** (RSS - the reference scenario's RSS, usually the idle sidecar) / messages. */
  readonly bytesPerMessageAboveIdle: Summary | null;
  readonly baseline: string | null;
  readonly baselineRssBytes: Summary | null;
  readonly rssRatio: Summary | null;
  readonly notes: Readonly<Record<string, Summary>>;
}

export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  readonly value: number;
  readonly threshold: number;
  readonly met: boolean;
}

function paired(runs: readonly RunRecord[], base: readonly RunRecord[] | undefined, pick: (r: RunRecord) => number): Summary | null {
  if (!base) return null;
  const byRound = new Map(base.map((r) => [r.round, pick(r)]));
  const ratios = runs.flatMap((r) => {
    const b = byRound.get(r.round);
    return b === undefined || b === 0 ? [] : [pick(r) / b];
  });
  return ratios.length === 0 ? null : summarize(ratios);
}

export function throughputResults(specs: readonly ContenderSpec[], runs: ReadonlyMap<string, readonly RunRecord[]>, failures: ReadonlyMap<string, readonly string[]>, sizes: ReadonlyMap<string, number>): ThroughputResult[] {
  return specs.map((spec) => {
    const own = runs.get(spec.id) ?? [];
    const base = spec.baseline === undefined ? undefined : runs.get(spec.baseline);
    const streamId = streamOf(spec);
    const stream = streamId === undefined ? undefined : runs.get(streamId);
    return {
      id: spec.id,
      kind: spec.kind,
      mode: spec.mode ?? null,
      prefetch: spec.prefetch ?? null,
      telemetry: spec.telemetry ?? null,
      description: spec.description,
      baseline: spec.baseline ?? null,
      messagesPerRun: sizes.get(spec.id) ?? 0,
      runs: own,
      failures: failures.get(spec.id) ?? [],
      rate: summarize(own.map((r) => r.rate)),
      rateRatio: paired(own, base, (r) => r.rate),
      serverCpuMicrosPerMessage: summarize(own.map((r) => r.serverCpuMicrosPerMessage)),
      serverCpuRatio: paired(own, base, (r) => r.serverCpuMicrosPerMessage),
      clientCpuMicrosPerMessage: summarize(own.map((r) => r.clientCpuMicrosPerMessage)),
      rateRatioToStream: stream ? paired(own, stream, (r) => r.rate) : null,
    };
  });
}

/**
 * The rows of a saved run derived again from their runs, each paired as the
 * contenders say now (so `--rerender` carries a fix of the pairing into a
 * saved run); a row whose contender no longer exists is kept as saved.
 */
export function rederiveThroughput(saved: readonly ThroughputResult[], specs: readonly ContenderSpec[]): ThroughputResult[] {
  const byId = new Map(specs.map((spec) => [spec.id, spec]));
  const runs = new Map(saved.map((row) => [row.id, row.runs]));
  const failures = new Map(saved.map((row) => [row.id, row.failures]));
  const sizes = new Map(saved.map((row) => [row.id, row.messagesPerRun]));
  return saved.map((row) => {
    const spec = byId.get(row.id);
    return spec === undefined ? row : (throughputResults([spec], runs, failures, sizes)[0] ?? row);
  });
}

interface MemoryScenario {
  readonly id: string;
  readonly description: string;
  readonly how: string;
  readonly baseline: string | null;
  /** The scenario whose RSS the per-message figure is measured above. */
  readonly reference: string;
}

export function memoryScenarios(counts: readonly number[], streamWorkers: number): MemoryScenario[] {
  return [
    { id: 'idle', description: 'idle sidecar: no messages, no workers', how: '-', baseline: 'bare:idle', reference: 'idle' },
    ...counts.map((n) => ({ id: `burst-${n}`, description: `${n.toLocaleString('en-US')} queued 100-byte messages`, how: 'PRODUCER_BURST (one shared payload buffer)', baseline: null, reference: 'idle' })),
    ...counts.map((n) => ({ id: `publish-${n}`, description: `${n.toLocaleString('en-US')} queued 100-byte messages`, how: 'Publish RPC, batches of 10,000 (payloads are views into each batch)', baseline: `bare:publish-${n}`, reference: 'idle' })),
    { id: `streams-${streamWorkers}`, description: `${streamWorkers} connected stream workers, queue empty`, how: `one process, ${streamWorkers} channels (a TCP connection each); each reads one message with for-await, then stops (a stuck worker)`, baseline: `bare:streams-${streamWorkers}`, reference: 'idle' },
    { id: `streams-${streamWorkers}-stopped`, description: `${streamWorkers} stopped stream workers, every stream full`, how: 'the same, then Publish in steps of 100,000 until some stay queued; bytes/msg = above the previous row, per message published', baseline: `bare:streams-${streamWorkers}-stopped`, reference: `streams-${streamWorkers}` },
  ];
}

export function memoryResults(runs: MemoryRuns, counts: readonly number[], streamWorkers: number): MemoryResult[] {
  const medianRss = (id: string): number => summarize((runs.get(id) ?? []).map((r) => r.rssBytes)).median;
  const pick = (list: readonly MemoryReadingRecord[], f: (r: MemoryReadingRecord) => number | undefined): Summary | null => {
    const values = list.map(f).filter((v): v is number => v !== undefined);
    return values.length === 0 ? null : summarize(values);
  };
  return memoryScenarios(counts, streamWorkers).flatMap((scenario) => {
    const list = runs.get(scenario.id);
    if (!list || list.length === 0) return [];
    const base = scenario.baseline === null ? undefined : runs.get(scenario.baseline);
    const messages = summarize(list.map((r) => r.messages)).median;
    const noteKeys = [...new Set(list.flatMap((r) => Object.keys(r.notes ?? {})))];
    const notes: Record<string, Summary> = {};
    for (const key of noteKeys) notes[key] = summarize(list.map((r) => r.notes?.[key] ?? NaN));
    for (const key of [...new Set((base ?? []).flatMap((r) => Object.keys(r.notes ?? {})))]) {
      notes[`baseline.${key}`] = summarize((base ?? []).map((r) => r.notes?.[key] ?? NaN));
    }
    // Ratios pair the n-th repetition of each, which ran back to back.
    const ratios = base ? list.flatMap((r, i) => {
      const b = base[i];
      return b ? [r.rssBytes / b.rssBytes] : [];
    }) : [];
    return [{
      id: scenario.id,
      description: scenario.description,
      how: scenario.how,
      messages,
      rssBytes: summarize(list.map((r) => r.rssBytes)),
      peakRssBytes: summarize(list.map((r) => r.peakRssBytes)),
      heapUsedBytes: pick(list, (r) => r.heapUsedBytes),
      bytesPerMessageAboveIdle: messages > 0 && Number.isFinite(medianRss(scenario.reference)) ? summarize(list.map((r) => (r.rssBytes - medianRss(scenario.reference)) / r.messages)) : null,
      baseline: scenario.baseline,
      baselineRssBytes: base ? summarize(base.map((r) => r.rssBytes)) : null,
      rssRatio: ratios.length > 0 ? summarize(ratios) : null,
      notes,
    }];
  });
}

const GIB = 1024 ** 3;

/**
 * The targets the bench reports (never asserts): every ratio is of two
 * contenders of this run, paired by round.
 */
export function targets(throughput: readonly ThroughputResult[], memoryRows: readonly MemoryResult[]): TargetResult[] {
  const out: TargetResult[] = [];
  const row = (id: string): ThroughputResult | undefined => throughput.find((r) => r.id === id && r.runs.length > 0);
  const atLeast = (target: string, ratio: Summary | null | undefined, threshold: number): void => {
    if (ratio) out.push({ target, measured: `${fmtRatio(ratio)} x`, value: ratio.median, threshold, met: ratio.median >= threshold });
  };
  atLeast('sidecar `stream`, telemetry as shipped, >= 0.8 x bare grpc-js streaming', row('stream/shipped')?.rateRatio, 0.8);
  atLeast('`poll`, as shipped, >= 0.8 x bare grpc-js unary', row('poll/shipped')?.rateRatio, 0.8);
  atLeast('`credit` prefetch 1, as shipped, >= 0.5 x sidecar `stream`', row('credit-1/shipped')?.rateRatioToStream, 0.5);
  for (const prefetch of [100, 1000]) {
    atLeast(`\`credit\` prefetch ${prefetch}, as shipped, >= 0.7 x sidecar \`stream\``, row(`credit-${prefetch}/shipped`)?.rateRatioToStream, 0.7);
  }
  for (const prefetch of CREDIT_PREFETCHES) {
    const credit = row(`credit-${prefetch}/shipped`);
    const rabbit = row(rabbitmqBareId(prefetch));
    if (credit && rabbit) {
      atLeast(`\`credit\` prefetch ${prefetch}, as shipped, >= bare amqplib on RabbitMQ at prefetch ${prefetch}`, paired(credit.runs, rabbit.runs, (r) => r.rate), 1);
    }
  }
  for (const m of memoryRows) {
    if (m.messages !== 1_000_000 || !(m.id.startsWith('burst-') || m.id.startsWith('publish-'))) continue;
    out.push({ target: `1,000,000 queued 100-byte messages (${m.id.startsWith('burst') ? 'PRODUCER_BURST' : 'Publish'}) < 1 GiB sidecar RSS`, measured: `${fmtBytes(m.rssBytes.median)} (peak ${fmtBytes(m.peakRssBytes.median)})`, value: m.rssBytes.median / GIB, threshold: 1, met: m.rssBytes.median < GIB });
  }
  return out;
}

// ---- markdown ----

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const dec = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function fmtRatio(s: Summary | null): string {
  return s ? `${dec(s.median, 2)} (${dec(s.min, 2)}–${dec(s.max, 2)})` : '-';
}

export function fmtBytes(n: number): string {
  return Number.isFinite(n) ? `${mib(n)} MiB` : '-';
}

const mib = (n: number): string => (Number.isFinite(n) ? (n / 1024 ** 2).toFixed(0) : '-');

function spread(s: Summary, f: (n: number) => string): string {
  return s.runs === 0 ? '-' : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

const TELEMETRY_TITLES: Record<string, string> = {
  shipped: 'telemetry as shipped (metrics on, traces sampled at 1 %)',
  traces100: 'traces at 100 %',
  off: 'telemetry off (OTEL_SDK_DISABLED=true; metrics stay on)',
};

function throughputRow(r: ThroughputResult): string {
  // Rows of one telemetry group differ by their first part; the others are named in full.
  const name = r.telemetry === null || r.kind === 'lab-rabbitmq' ? `**${r.id}**` : r.id.split('/')[0] ?? r.id;
  const vsStream = r.rateRatioToStream ? ` (${dec(r.rateRatioToStream.median, 2)} x stream)` : '';
  const failed = r.failures.length > 0 ? ` ⚠ ${r.failures.length} failed` : '';
  const anomalies = r.runs.some((run) => run.anomalies.length > 0) ? ' ⚠ requeues/losses' : '';
  return `| ${name}${failed}${anomalies} | ${r.description} | ${int(r.messagesPerRun)} | ${spread(r.rate, int)} | ${fmtRatio(r.rateRatio)}${vsStream} | ${spread(r.serverCpuMicrosPerMessage, (n) => dec(n, 1))} | ${fmtRatio(r.serverCpuRatio)} | ${spread(r.clientCpuMicrosPerMessage, (n) => dec(n, 1))} |`;
}

export function throughputMarkdown(rows: readonly ThroughputResult[]): string {
  if (rows.length === 0) return '(not run)';
  const header = [
    '| contender | what runs | msgs/run | msg/s, median (min–max) | x baseline msg/s | server CPU µs/msg | x baseline CPU | client CPU µs/msg |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
  ];
  const out: string[] = ['Baselines (bare grpc-js, no lab code):', '', ...header];
  for (const r of rows.filter((x) => x.telemetry === null && x.kind !== 'rabbitmq-bare')) out.push(throughputRow(r));
  const rabbitmq = rows.filter((x) => x.kind === 'rabbitmq-bare');
  if (rabbitmq.length > 0) {
    out.push('', 'RabbitMQ baselines (bare amqplib consumers, no lab code; the "server" is the broker):', '', ...header);
    for (const r of rabbitmq) out.push(throughputRow(r));
  }
  const onRabbit = rows.filter((x) => x.kind === 'lab-rabbitmq');
  if (onRabbit.length > 0) {
    out.push('', `Sidecar with RabbitMQ behind it (QUEUE=rabbitmq, a node of its own per contender), ${TELEMETRY_TITLES.shipped ?? 'shipped'}; the baseline is bare amqplib at the sidecar's prefetch; "server" is the sidecar and the broker node together:`, '', ...header);
    for (const r of onRabbit) out.push(throughputRow(r));
  }
  for (const telemetry of ['shipped', 'traces100', 'off']) {
    const group = rows.filter((x) => x.telemetry === telemetry && x.kind !== 'lab-rabbitmq');
    if (group.length === 0) continue;
    out.push('', `Sidecar, ${TELEMETRY_TITLES[telemetry] ?? telemetry}:`, '', ...header);
    for (const r of group) out.push(throughputRow(r));
  }
  return out.join('\n');
}

export function memoryMarkdown(rows: readonly MemoryResult[]): string {
  if (rows.length === 0) return '(not run)';
  const out = [
    '| scenario | how | sidecar RSS MiB, median (min–max) | peak RSS MiB | V8 heap used MiB | bytes/msg above reference | bare grpc-js server RSS MiB | x baseline |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of rows) {
    const publishCpu = r.notes.publishCpuMicrosPerMessage;
    const inFlight = r.notes.dispatched;
    const extra = [
      publishCpu ? `Publish cost ${dec(publishCpu.median, 2)} µs/msg${r.notes['baseline.publishCpuMicrosPerMessage'] ? ` (bare ${dec(r.notes['baseline.publishCpuMicrosPerMessage'].median, 2)})` : ''}` : '',
      inFlight ? `${int(inFlight.median)} in flight, ${int(r.notes.queued?.median ?? NaN)} left queued${r.notes['baseline.dispatched'] ? `; bare server ${int(r.notes['baseline.dispatched'].median)} in flight` : ''}` : '',
    ].filter((s) => s !== '').join('; ');
    out.push(`| ${r.description}${extra === '' ? '' : ` (${extra})`} | ${r.how} | ${spread(r.rssBytes, mib)} | ${mib(r.peakRssBytes.median)} | ${r.heapUsedBytes ? mib(r.heapUsedBytes.median) : '-'} | ${r.bytesPerMessageAboveIdle ? int(r.bytesPerMessageAboveIdle.median) : '-'} | ${r.baselineRssBytes ? mib(r.baselineRssBytes.median) : '-'} | ${fmtRatio(r.rssRatio)} |`);
  }
  return out.join('\n');
}

export function targetsMarkdown(rows: readonly TargetResult[]): string {
  if (rows.length === 0) return '(none measured in this run)';
  return [
    '| target | measured, median (min–max) | met? |',
    '|---|--:|:-:|',
    ...rows.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`),
  ].join('\n');
}

/** What a results.json says about the run itself. */
export interface BenchMeta {
  readonly command: string;
  readonly date: string;
  readonly node: string;
  readonly grpcJs: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryBytes: number;
  readonly loadAverageAtStart: number;
  readonly loadAverageAtEnd: number;
  readonly loadAverageEachRound: readonly number[];
  readonly durationSeconds: number;
  readonly settings: { readonly rounds: number; readonly workers: number; readonly payloadBytes: number };
  readonly otlpSink: unknown;
}

/** results.md: the run, the targets, the throughput tables, the memory table. */
export function benchMarkdown(meta: BenchMeta, targetRows: readonly TargetResult[], throughputRows: readonly ThroughputResult[], memoryRows: readonly MemoryResult[]): string {
  const rounds = meta.loadAverageEachRound;
  return [
    `Command: \`${meta.command}\` (${meta.date}, Node ${meta.node}, grpc-js ${meta.grpcJs}, ${meta.cpus} × ${meta.cpuModel}, load average ${meta.loadAverageAtStart.toFixed(2)} at start${rounds.length > 0 ? `, ${Math.min(...rounds).toFixed(2)}–${Math.max(...rounds).toFixed(2)} as rounds began` : ''}, ${meta.loadAverageAtEnd.toFixed(2)} at end; ${meta.settings.rounds} rounds, ${meta.settings.workers} worker processes per contender, ${meta.settings.payloadBytes}-byte payloads; took ${meta.durationSeconds.toFixed(0)} s).`,
    '',
    '### Targets',
    '',
    targetsMarkdown(targetRows),
    '',
    '### Throughput and CPU per message',
    '',
    throughputMarkdown(throughputRows),
    '',
    '### Memory',
    '',
    memoryMarkdown(memoryRows),
    '',
  ].join('\n');
}
