/**
 * Soak: many zero-delay workers across the three modes and the built-in
 * producer at thousands of messages a second, for a while. Reports the
 * sidecar's memory and event-loop lag over time and checks that credit and
 * poll lose nothing. Not part of `make test`: run it with `make soak`.
 *
 *   npm run soak -- --duration 120 --rate 3000 --workers 50
 */
import { createAdminClient } from '@backlog-lab/harness/admin-client';
import { startSidecar, startWorker, type RunningWorker } from '@backlog-lab/harness/lab-services';
import { scrape, sum, type Sample } from '@backlog-lab/harness/prometheus-text';
import { numberOption, parseFlags, UsageError } from './lib/cli.ts';

const USAGE = 'usage: npm run soak -- [--duration SECONDS (default 120)] [--rate MSG_PER_S (default 3000)] [--workers N (default 50)]';

let settings: { duration: number; rate: number; workerCount: number };
try {
  const values = parseFlags(process.argv.slice(2), { duration: { type: 'string' }, rate: { type: 'string' }, workers: { type: 'string' } });
  settings = {
    duration: numberOption(values.duration, {}, { flag: 'duration', default: 120, min: 10, max: 86_400 }),
    rate: numberOption(values.rate, {}, { flag: 'rate', default: 3000, min: 1, max: 100_000 }),
    workerCount: numberOption(values.workers, {}, { flag: 'workers', default: 50, min: 3, max: 500 }),
  };
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`soak: ${error.message}\n${USAGE}`);
  process.exit(2);
}
const { duration, rate, workerCount } = settings;

// Interrupted: exit through process.exit, whose handler (the harness's service-process.ts) kills every child.
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const sidecar = await startSidecar({ PRODUCER_RATE: rate, PAYLOAD_BYTES: 100, HIGH_PRIORITY_RATIO: 0.1, ACK_DEADLINE_MS: 10_000 });
const admin = createAdminClient(sidecar.address);
const modes = ['stream', 'credit', 'poll'] as const;
const workers: RunningWorker[] = [];
console.error(`soak: ${workerCount} workers, ${rate} msg/s for ${duration} s`);
// Ten at a time: starting fifty one by one would let the producer run for minutes first.
for (let first = 0; first < workerCount; first += 10) {
  const batch = Array.from({ length: Math.min(10, workerCount - first) }, (_, k) => {
    const i = first + k;
    const mode = modes[i % modes.length] ?? 'stream';
    return startWorker(sidecar.address, `soak-${mode}-${i}`, {
      DELIVERY_MODE: mode, PREFETCH: 10, PROCESSING_DELAY_MS: 0, LOG_LEVEL: 'info', OTEL_SDK_DISABLED: 'true',
    }, { readyTimeoutMs: 120_000 });
  });
  workers.push(...await Promise.all(batch));
}

interface Point { t: number; rssMiB: number; lagP99Ms: number; published: number; acked: number; queued: number }
const points: Point[] = [];
const read = (m: Sample[], name: string): number => sum(m, name);
const t0 = performance.now();
while (performance.now() - t0 < duration * 1000) {
  await new Promise((r) => setTimeout(r, 5000));
  const m = await scrape(sidecar.metricsPort);
  const p: Point = {
    t: Math.round((performance.now() - t0) / 1000),
    rssMiB: read(m, 'process_resident_memory_bytes') / 2 ** 20,
    lagP99Ms: read(m, 'nodejs_eventloop_lag_p99_seconds') * 1000,
    published: read(m, 'sidecar_messages_published_total'),
    acked: read(m, 'sidecar_messages_acked_total'),
    queued: read(m, 'sidecar_queue_depth'),
  };
  points.push(p);
  console.error(`  t=${p.t}s rss ${p.rssMiB.toFixed(0)} MiB, loop lag p99 ${p.lagP99Ms.toFixed(1)} ms, published ${p.published}, acked ${p.acked}, queued ${p.queued}`);
}

await Promise.all(workers.map((w) => w.stop()));
const final = await admin.stats();
const m = await scrape(sidecar.metricsPort);
admin.close();
await sidecar.stop();

const lostByMode = Object.fromEntries(modes.map((mode) => [mode, sum(m, 'sidecar_messages_lost_total', { mode })]));
const t = final.totals;
const inFlight = final.workers.reduce((n, w) => n + Number(w.inFlight), 0);
const queued = final.queueDepth.reduce((n, d) => n + Number(d), 0);
const balanced = Number(t?.published) === Number(t?.acked) + Number(t?.lost) + queued + inFlight;
const warm = points.find((p) => p.t >= Math.min(30, duration / 2)) ?? points[0];
const last = points.at(-1);
const first = points[0];
const achieved = first && last && last.t > first.t ? (last.acked - first.acked) / (last.t - first.t) : 0;
console.log([
  `| figure | value |`,
  `|---|---|`,
  `| duration, workers, producer rate | ${duration} s, ${workerCount} (stream/credit prefetch 10/poll), ${rate} msg/s |`,
  `| published, acked; acked per second while sampled | ${t?.published}, ${t?.acked}; ${achieved.toFixed(0)}/s |`,
  `| lost: stream / credit / poll | ${lostByMode.stream} / ${lostByMode.credit} / ${lostByMode.poll} (stream loses what was in transit when its workers stop) |`,
  `| requeued | ${t?.requeued} |`,
  `| published = acked + lost + queued + in flight | ${balanced ? 'yes' : 'NO'} (${queued} queued, ${inFlight} in flight at the end) |`,
  `| sidecar RSS after warm-up (${warm?.t} s) → end | ${warm?.rssMiB.toFixed(0)} MiB → ${last?.rssMiB.toFixed(0)} MiB |`,
  `| event-loop lag p99 after warm-up → end | ${warm?.lagP99Ms.toFixed(1)} ms → ${last?.lagP99Ms.toFixed(1)} ms |`,
].join('\n'));
process.exit(balanced && lostByMode.credit === 0 && lostByMode.poll === 0 ? 0 : 1);
