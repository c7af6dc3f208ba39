/**
 * Runs the experiment runner the way a user does (`--quick`, the scenarios
 * the assertions need) and checks the qualitative results that must hold on
 * any machine, fast or slow: counts and orderings, not timings. Two runs:
 * every scenario it checks on `grpc-js`, and a smaller one on `c-core`
 * (hoard and kill in `stream` and `credit-10`, the size sweep's BDP on and
 * off at 100 bytes), since `--stack` would otherwise run everything twice.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { runScript } from '../support/run-script.ts';
import { REPO_ROOT } from '@backlog-lab/harness/repo';
import type { Results } from '../../experiments/results.ts';
import { blindSyncs, type MetricRun } from '../../experiments/scenarios/autoscale.ts';
import type { ParamsOf, RunOf, ScenarioId } from '../../experiments/scenarios/index.ts';
import type { SizeSweepOf, SweepPointOf } from '../../experiments/scenarios/size-sweep/types.ts';
import type { ModeId } from '../../experiments/variants/modes.ts';
import type { TopologyPart } from '../../experiments/scenarios/topology.ts';
import type { BacklogModelId, StackId } from '../../experiments/variants/stacks.ts';
import { variantKey } from '../../experiments/variants/variant.ts';

/** What each run covers: the stack, its scenarios and modes (none: every mode). */
const RUNS = {
  'grpc-js': { scenarios: 'hoard,kill,autoscale,size-sweep,sizing', modes: undefined },
  'c-core': { scenarios: 'hoard,kill,size-sweep,sizing', modes: 'stream,credit-10' },
} as const satisfies Readonly<Record<StackId, { scenarios: string; modes: string | undefined }>>;
const STACKS_RUN = Object.keys(RUNS) as (keyof typeof RUNS)[];

const outDirs = Object.fromEntries(STACKS_RUN.map((stack) => [stack, mkdtempSync(join(tmpdir(), `experiment-quick-${stack}-`))])) as Record<StackId, string>;
const topologyDir = mkdtempSync(join(tmpdir(), 'experiment-quick-topology-'));
const results = {} as Record<StackId, Results>;
let topologyResults: Results;
let passed = true;

before(async () => {
  for (const stack of STACKS_RUN) {
    const { scenarios, modes } = RUNS[stack];
    const { code, output } = await runScript(['experiments/run.ts', '--quick', '--scenario', scenarios, ...(modes ? ['--mode', modes] : []), '--stack', stack, '--out', outDirs[stack]]);
    assert.equal(code, 0, `the runner failed on ${stack}:\n${output}`);
    results[stack] = JSON.parse(readFileSync(join(outDirs[stack], 'results.json'), 'utf8')) as Results;
  }
  // RabbitMQ behind the sidecars: two modes keep it short (a node of the runner's own, ~6 s to start).
  const topology = await runScript(['experiments/run.ts', '--quick', '--scenario', 'topology', '--mode', 'stream,credit-10', '--stack', 'grpc-js', '--out', topologyDir]);
  assert.equal(topology.code, 0, `the runner failed on the topology scenario:\n${topology.output}`);
  topologyResults = JSON.parse(readFileSync(join(topologyDir, 'results.json'), 'utf8')) as Results;
}, { timeout: 15 * 60_000 });

after(() => {
  for (const dir of [...Object.values(outDirs), topologyDir]) {
    if (passed) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`experiment output kept in ${dir}\n`);
  }
});

const check = (name: string, fn: () => void): void => {
  test(name, () => {
    try {
      fn();
    } catch (error) {
      passed = false;
      throw error;
    }
  });
};

/** A scenario's run in one mode on one stack (the `memory` queue, the only one there is). */
const runOf = <K extends ScenarioId>(id: K, mode: ModeId, stack: StackId = 'grpc-js'): RunOf<K> => {
  const run = results[stack].scenarios[id]?.runs[variantKey({ mode, stack, queue: 'memory' })];
  assert.ok(run, `no ${id} run for ${mode} on ${stack}`);
  return run;
};
const paramsOf = <K extends ScenarioId>(id: K, stack: StackId = 'grpc-js'): ParamsOf<K> => {
  const params = results[stack].scenarios[id]?.params;
  assert.ok(params, `no ${id} parameters`);
  return params;
};
const hoard = (mode: ModeId, stack?: StackId): RunOf<'hoard'> => runOf('hoard', mode, stack);
const kill = (mode: ModeId, stack?: StackId): RunOf<'kill'> => runOf('kill', mode, stack);
/** The autoscale session on queue depth (the quick profile runs only that metric). */
const onQueueDepth = (mode: ModeId): MetricRun => {
  const run = runOf('autoscale', mode).byMetric.find((r) => r.metric === 'queue-depth');
  assert.ok(run, `no queue-depth autoscale run for ${mode}`);
  return run;
};
/** The stack's size sweep, checked to be predicted with the form it expects. */
const sweepOf = <F extends BacklogModelId>(stack: StackId, form: F): SizeSweepOf<F> => {
  const run = runOf('size-sweep', 'stream', stack);
  assert.equal(run.model, form, `${stack}'s sweep was predicted with ${run.model}`);
  return run as SizeSweepOf<F>;
};
const pointAt = <F extends BacklogModelId>(sweep: SizeSweepOf<F>, payloadBytes: number, matches: (p: SweepPointOf<F>) => boolean, what: string): SweepPointOf<F> => {
  const point = sweep.points.find((p) => p.payloadBytes === payloadBytes && matches(p));
  assert.ok(point, `no ${what} point at ${payloadBytes} bytes`);
  return point;
};
/** The modes each stack's run covered, with credits or polling. */
const BOUNDED: Readonly<Record<StackId, readonly ('credit-1' | 'credit-10' | 'poll')[]>> = { 'grpc-js': ['credit-1', 'credit-10', 'poll'], 'c-core': ['credit-10'] };
/** The topology scenario's two parts in one mode: it runs on RabbitMQ whatever --queue says. */
const topologyParts = (mode: ModeId): { shared: TopologyPart; perPod: TopologyPart } => {
  const run = topologyResults.scenarios.topology?.runs[variantKey({ mode, stack: 'grpc-js', queue: 'rabbitmq' })];
  assert.ok(run, `no topology run for ${mode}`);
  const shared = run.parts.find((p) => p.topology === 'shared');
  const perPod = run.parts.find((p) => p.topology === 'per-pod');
  assert.ok(shared && perPod, `${mode}: a topology is missing`);
  return { shared, perPod };
};
const sumOf = (values: Readonly<Record<string, number>>): number => Object.values(values).reduce((n, v) => n + v, 0);
const sidecarSum = (p: TopologyPart, field: 'unacked' | 'buffered'): number => Object.values(p.hold.sidecars).reduce((n, s) => n + s[field], 0);

for (const stack of STACKS_RUN) {
  check(`hoard, stream, ${stack}: the slow worker holds the messages and the later workers process none of them`, () => {
    const run = hoard('stream', stack);
    // Everything not yet started was in transit to the hoarder, none left in the sidecar's queue.
    assert.ok(run.arrival.inTransit > 0, 'nothing was in transit when the later workers came up');
    assert.equal(run.arrival.inTransit, run.arrival.unstarted);
    assert.equal(run.arrival.newWorkersGot, 0);
    assert.equal(run.laterProcessed, 0);
    for (const w of run.workers.filter((x) => x.role === 'later')) assert.equal(w.timeToFirstMessageS, null, `${w.id} got a message`);
    assert.equal(run.hoarderProcessed, paramsOf('hoard', stack).messages);
  });

  for (const mode of BOUNDED[stack]) {
    check(`hoard, ${mode}, ${stack}: each later worker gets work while the slow worker is still busy`, () => {
      const run = hoard(mode, stack);
      // At least the first later worker came up while the backlog waited in the sidecar's queue.
      assert.ok(run.laterReadyWhileQueued.length >= 1, 'no later worker came up while messages were queued');
      for (const w of run.workers.filter((x) => run.laterReadyWhileQueued.includes(x.id))) assert.ok(w.processed >= 1, `${w.id} came up while messages were queued and processed nothing`);
      assert.equal(run.laterStartedWhileHoarderBusy, true);
      assert.equal(run.hoarderProcessed + run.laterProcessed, paramsOf('hoard', stack).messages);
      // What the hoarder held is bounded by what it asked for.
      assert.ok(run.arrival.inTransit <= (mode === 'credit-10' ? 9 : 1), `${run.arrival.inTransit} in transit to the hoarder`);
    });
  }

  check(`kill, stream, ${stack}: exactly what the killed worker held is lost, and never processed by anyone`, () => {
    const run = kill('stream', stack);
    assert.ok(run.heldAtKill >= 2, `the victim held only ${run.heldAtKill}`);
    assert.equal(run.lost, run.heldAtKill);
    assert.equal(run.neverProcessed, run.lost);
    // Held = in transit + the one in hand (the kill came right after a start).
    assert.ok(run.heldAtKill - run.inTransitAtKill >= 0 && run.heldAtKill - run.inTransitAtKill <= 1, `held ${run.heldAtKill}, in transit ${run.inTransitAtKill}`);
    assert.equal(run.redelivered, 0);
    assert.equal(run.firstRedeliveryS, null);
    assert.equal(run.lostIsNeverProcessed, true);
  });

  for (const mode of BOUNDED[stack]) {
    check(`kill, ${mode}, ${stack}: nothing is lost; what the killed worker held is redelivered`, () => {
      const run = kill(mode, stack);
      assert.equal(run.lost, 0);
      assert.equal(run.neverProcessed, 0);
      assert.ok(run.heldAtKill >= 1);
      assert.equal(run.requeued, run.heldAtKill);
      assert.equal(run.redelivered, run.heldAtKill);
      // The first redelivered message started after the kill, and not before the rescuer was up.
      assert.ok(run.firstRedeliveryS !== null && run.firstRedeliveryS > 0, `first redelivery ${run.firstRedeliveryS}`);
      assert.ok(run.rescuerToRedeliveryS !== null && run.rescuerToRedeliveryS >= 0, `rescuer to redelivery ${run.rescuerToRedeliveryS}`);
      assert.equal(run.lostIsNeverProcessed, true);
    });
  }
}

check('autoscale, stream: queue depth stays under its target while messages wait in transit, and added replicas take none of them', () => {
  const depth = onQueueDepth('stream');
  // At some sync queue depth asked for no more replicas while queued + in
  // flight was above the target for the replicas there were.
  const blind = blindSyncs(depth);
  assert.ok(blind.length > 0, `queue depth saw the backlog at every sync: ${JSON.stringify(depth.syncs.map((s) => [s.queued, s.inFlight, s.replicas]))}`);
  for (const s of blind) assert.ok(s.inFlight > depth.target * s.replicas, `${s.inFlight} in flight at ${s.t} s`);
  // Whatever metric did add replicas, they took nothing that was in transit when they came up.
  for (const r of runOf('autoscale', 'stream').byMetric) {
    if (r.arrival) assert.equal(r.arrival.newWorkersGot, 0, `${r.metric}: added replicas took ${r.arrival.newWorkersGot} of ${r.arrival.inTransit}`);
  }
});

for (const mode of ['credit-1', 'credit-10', 'poll'] as const) {
  check(`autoscale, ${mode}: queue depth adds replicas, they take queued work, and the backlog drains`, () => {
    const depth = onQueueDepth(mode);
    assert.ok(depth.peakReplicas > depth.startReplicas, `stayed at ${depth.startReplicas} replicas`);
    assert.ok(depth.replicas.some((r) => r.role === 'added' && r.processed > 0), 'no added replica processed anything');
    assert.ok(depth.arrival !== null && depth.arrival.newWorkersGotOfUnstarted > 0, `added replicas took ${depth.arrival?.newWorkersGotOfUnstarted} of the unstarted`);
    // Every message published was processed, nothing was lost, nothing is left.
    assert.equal(depth.lost, 0);
    assert.equal(depth.processedIds, depth.published);
    assert.equal(depth.checks.finalQueued, 0);
  });
}

check('size sweep, grpc-js: a stopped reader\'s in-transit count is within 25 % of the model\'s range at every payload size and window', () => {
  const sweep = sweepOf('grpc-js', 'call-buffers');
  const { payloads, settings } = paramsOf('size-sweep').stacks['grpc-js'];
  assert.equal(sweep.points.length, payloads.length * settings.length);
  assert.ok(sweep.constants.q > 0 && sweep.constants.h > 0 && sweep.constants.serverBuffer > 0, 'Q, H and B were not read');
  // The model is a range: the client's share plus 1..B messages the server
  // holds at rest, and which of those a run ends on is timing. With 60 kB
  // payloads that range is half the total (18..33), so "within 25 % of the
  // model" is within 25 % of the range, not of its centre. M is counted on
  // the wire, so 100-byte payloads are inside too.
  for (const p of sweep.points) {
    const m = p.prediction;
    assert.ok(p.measured >= 0.75 * m.low && p.measured <= 1.25 * m.high, `S=${p.payloadBytes} W=${m.w}: measured ${p.measured}, model ${m.low}..${m.high}`);
    assert.equal(p.writeBlocked, true, `S=${p.payloadBytes} W=${m.w}: the sidecar was not blocked`);
  }
});

check('size sweep, c-core: BDP probing holds ten times what grpc-js does, BDP off falls to the grpc-js range, and the window read on the wire predicts both', () => {
  const sweep = sweepOf('c-core', 'grown-window');
  const { payloads, settings } = paramsOf('size-sweep', 'c-core').stacks['c-core'];
  assert.equal(sweep.points.length, payloads.length * settings.length);
  for (const p of sweep.points) assert.equal(p.writeBlocked, true, `S=${p.payloadBytes} ${JSON.stringify(p.setting)}: the sidecar was not blocked, the stream may not be full`);
  const grpcJs = pointAt(sweepOf('grpc-js', 'call-buffers'), 100, (p) => p.setting.flowControlWindow === 0, 'grpc-js default-window');
  const on = pointAt(sweep, 100, (p) => p.setting.bdpProbe === true, 'BDP on');
  const off = pointAt(sweep, 100, (p) => p.setting.bdpProbe === false && p.setting.flowControlWindow === 0, 'BDP off');
  const at = (p: SweepPointOf<'grown-window'>): string => `measured ${p.measured}, predicted ${p.prediction.centre} from a ${p.prediction.window}-byte window`;
  assert.ok(on.measured > 10 * grpcJs.measured, `BDP on ${on.measured}, grpc-js ${grpcJs.measured}`);
  assert.ok(off.measured <= 3 * grpcJs.measured && off.measured >= grpcJs.measured / 3, `BDP off ${off.measured}, grpc-js ${grpcJs.measured}`);
  assert.ok(Math.abs(off.prediction.centre - off.measured) <= 0.25 * off.measured, `BDP off: ${at(off)}`);
  // With BDP on, within 25 % of the prediction from the grown window rather
  // than "between the first window's prediction and the grown one's": when
  // BDP probing hardly grows the window (seen: 4,226,749 bytes from
  // 4,194,303) the two predictions are a few messages apart, and a bracket
  // that narrow fails on one message of rounding in M. This holds whether
  // or not the window grew, and checks what the model says: the count
  // follows the window on the wire.
  assert.ok(Math.abs(on.prediction.centre - on.measured) <= 0.25 * on.measured, `BDP on: ${at(on)}`);
  assert.ok(on.prediction.window >= 4 * 1024 * 1024 - 1, `BDP on advertised only ${on.prediction.window} bytes`);
});

for (const stack of STACKS_RUN) {
  check(`sizing (${stack}): at a 1 ms service time a credit worker with prefetch 8 is busier and idles less than half as long per message as with prefetch 1; the queue never ran dry under it`, () => {
    // sizing runs in credit mode on the credit-1 variant, each cell with its own PREFETCH.
    const run = runOf('sizing', 'credit-1', stack);
    const at = (prefetch: number): RunOf<'sizing'>['cells'][number] => {
      const cell = run.cells.find((c) => c.serviceTimeMs === 1 && c.prefetch === prefetch);
      assert.ok(cell, `no 1 ms cell at prefetch ${prefetch}`);
      return cell;
    };
    assert.ok(at(8).busy > at(1).busy, `busy at prefetch 8 ${at(8).busy}, at prefetch 1 ${at(1).busy}`);
    // Credits hide the round trip: most of the idle time per message goes. The
    // Python worker's reads and acks must overlap its work for that
    // (services/worker-python/backlog_worker/receivers/credit.py); awaited in
    // turn, they left it as idle at prefetch 8 as at prefetch 1.
    assert.ok(at(8).idlePerMessageS < at(1).idlePerMessageS / 2, `idle per message at prefetch 8 ${at(8).idlePerMessageS} s, at prefetch 1 ${at(1).idlePerMessageS} s`);
    const params = paramsOf('sizing', stack);
    assert.equal(run.cells.length, params.serviceTimesMs.length * params.prefetches.length);
    // A steady backlog: the worker waited for its credits, never for the queue.
    for (const c of [run.roundTrip, ...run.cells]) {
      assert.ok(c.processed > 0 && c.minQueued > 0, `${c.serviceTimeMs} ms, prefetch ${c.prefetch}: ${c.processed} processed, queue down to ${c.minQueued}`);
    }
    assert.ok(run.roundTripS > 0, 'no round trip measured');
  });
}

check('the report has the five-number table with one row per mode and stack, filled, and every chart as SVG and PNG', () => {
  const expected: Record<StackId, { modes: string[]; charts: string[] }> = {
    'grpc-js': { modes: ['stream', 'credit-1', 'credit-10', 'poll'], charts: ['in-transit-hoard', 'backlog', 'first-message', 'kill', 'autoscale-queue-depth', 'size-sweep-grpc-js-memory', 'sizing'] },
    'c-core': { modes: ['stream', 'credit-10'], charts: ['in-transit-hoard', 'backlog', 'kill', 'size-sweep-c-core-memory', 'sizing'] },
  };
  for (const stack of STACKS_RUN) {
    const report = readFileSync(join(outDirs[stack], 'report.md'), 'utf8');
    // A row is a mode and a stack, then the figures, the first one filled in.
    const rows = report.split('\n').filter((l) => new RegExp(`^\\| \`(stream|credit-1|credit-10|poll)\` \\| \`${stack}\` \\| \\*\\*\\d+\\*\\*`).test(l));
    assert.deepEqual(rows.map((l) => /`([^`]+)`/.exec(l)?.[1]), expected[stack].modes, `${stack}: the first table's rows`);
    assert.match(report, /## Conclusion/);
    assert.match(report, new RegExp(`\\*\\*The model \\(\`${stack}\`\\)\\.\\*\\*`), `${stack}: no model sentence in the conclusion`);
    assert.match(report, /grpc-js 1\.\d+\.\d+/);
    for (const chart of expected[stack].charts) {
      for (const ext of ['svg', 'png']) assert.ok(existsSync(join(outDirs[stack], 'charts', `${chart}.${ext}`)), `${stack}: charts/${chart}.${ext} missing`);
    }
  }
});

check('the report\'s links to the repository\'s docs resolve from wherever it was written', () => {
  const outDir = outDirs['grpc-js'];
  const report = readFileSync(join(outDir, 'report.md'), 'utf8');
  const targets = [...report.matchAll(/\]\(([^)#]+\.md)(?:#[^)]*)?\)/g)].map((m) => resolve(outDir, m[1] ?? ''));
  assert.ok(targets.includes(join(REPO_ROOT, 'docs/experiments.md')), `no working link to docs/experiments.md among ${targets.join(', ')}`);
  // docs/design.md is linked before it exists; every link must still land in the repository's docs/.
  for (const t of targets) assert.ok(t.startsWith(join(REPO_ROOT, 'docs/')), `${t} is outside the repository's docs`);
});

check('topology, stream (upstream ack on dispatch): RabbitMQ shows nothing ready or unacked while the backlog is in transit, shared or per pod', () => {
  for (const p of Object.values(topologyParts('stream'))) {
    const inTransit = sumOf(p.hold.inTransit);
    assert.ok(inTransit >= p.published / 2, `${p.topology}: only ${inTransit} of ${p.published} in transit at the hold`);
    assert.equal(p.hold.brokerReady, 0, `${p.topology}: broker ready at the hold`);
    assert.equal(p.hold.brokerUnacked, 0, `${p.topology}: broker unacked at the hold`);
    assert.ok(p.whileInTransit.samples > 0 && p.whileInTransit.maxReady <= 2, `${p.topology}: broker readings while in transit ${JSON.stringify(p.whileInTransit)}`);
  }
});

check('topology, stream: a dead pod loses what its worker had in transit, in either topology, and new workers get none of the backlog', () => {
  const { shared, perPod } = topologyParts('stream');
  for (const p of [shared, perPod]) {
    // Lost is what no worker logged as processed. The kill can land between
    // the sidecar answering the victim's last receipt (in flight drops by
    // one) and the victim writing that message's `message processed` line:
    // done, yet counted with the lost. A slow worker receipts one at a time.
    assert.ok(p.lost >= 1 && p.lost <= p.victimInFlight + 1, `${p.topology}: lost ${p.lost}, the victim held ${p.victimInFlight}`);
    assert.equal(p.redelivered, 0);
  }
  assert.equal(shared.newcomersProcessed, 0);
});

check('topology, credit-10: the broker\'s unacked never exceeds the workers\' prefetch plus the sidecars\' buffers; per pod each sidecar holds its own prefetch', () => {
  const { shared, perPod } = topologyParts('credit-10');
  for (const p of [shared, perPod]) {
    assert.equal(p.unackedAboveBound, 0, `${p.topology}: readings above the bound`);
    const held = Object.keys(p.hold.inFlight).length * 10 + sidecarSum(p, 'buffered');
    assert.ok(p.hold.brokerUnacked !== null && p.hold.brokerUnacked <= held, `${p.topology}: broker unacked ${p.hold.brokerUnacked} above ${held}`);
    assert.equal(p.lost, 0, `${p.topology}: lost on pod death`);
  }
  // Two sidecars hold two prefetches upstream: the per-pod backlog hidden in sidecar buffers is the larger.
  assert.ok(sidecarSum(perPod, 'unacked') > sidecarSum(shared, 'unacked'), `per-pod ${sidecarSum(perPod, 'unacked')}, shared ${sidecarSum(shared, 'unacked')}`);
});

check('the topology report has its section, its numbers and its chart', () => {
  const report = readFileSync(join(topologyDir, 'report.md'), 'utf8');
  assert.match(report, /## Topology: a shared sidecar or one per pod, on RabbitMQ/);
  assert.match(report, /### Where the hidden backlog sits/);
  assert.match(report, /\| `stream` \| per-pod \| 0 \/ 0 \|/);
  for (const ext of ['svg', 'png']) assert.ok(existsSync(join(topologyDir, 'charts', `topology.${ext}`)), `charts/topology.${ext} missing`);
});

test('--rerender rewrites the same report from results.json', async () => {
  for (const stack of STACKS_RUN) {
    const outDir = outDirs[stack];
    const before = readFileSync(join(outDir, 'report.md'), 'utf8');
    const { code, output } = await runScript(['experiments/run.ts', '--rerender', '--out', outDir]);
    try {
      assert.equal(code, 0, `--rerender failed:\n${output}`);
      assert.equal(output.trim(), `${outDir}/report.md`, 'an absolute --out is printed as it was given');
      assert.equal(readFileSync(join(outDir, 'report.md'), 'utf8'), before);
    } catch (error) {
      passed = false;
      throw error;
    }
  }
});

test('--update puts rerun variants of a scenario into an earlier run and keeps the rest; a run of another profile is refused', async () => {
  const outDir = outDirs['c-core'];
  const earlier = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as Results;
  try {
    const mismatch = await runScript(['experiments/run.ts', '--update', '--scenario', 'hoard', '--mode', 'poll', '--stack', 'c-core', '--out', outDir]);
    assert.equal(mismatch.code, 2, mismatch.output);
    assert.match(mismatch.stderr, /--update: .* holds a quick run; this is default/);
    // hoard ran here in stream and credit-10: credit-10 is rerun, poll is new, stream stays.
    const { code, output } = await runScript(['experiments/run.ts', '--quick', '--update', '--scenario', 'hoard', '--mode', 'credit-10,poll', '--stack', 'c-core', '--out', outDir]);
    assert.equal(code, 0, `--update failed:\n${output}`);
    const merged = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as Results;
    for (const id of Object.keys(earlier.scenarios) as ScenarioId[]) {
      if (id === 'hoard') continue;
      assert.deepEqual(merged.scenarios[id]?.runs, earlier.scenarios[id]?.runs, `${id} was not rerun and must be kept as it was`);
    }
    const hoardRuns = merged.scenarios.hoard?.runs ?? {};
    assert.deepEqual(Object.keys(hoardRuns).sort(), ['credit-10/c-core/memory', 'poll/c-core/memory', 'stream/c-core/memory']);
    assert.deepEqual(hoardRuns['stream/c-core/memory'], earlier.scenarios.hoard?.runs['stream/c-core/memory'], 'the variant not rerun is kept as it was');
    assert.ok((hoardRuns['credit-10/c-core/memory']?.t0UnixMs ?? 0) > (earlier.scenarios.hoard?.runs['credit-10/c-core/memory']?.t0UnixMs ?? Infinity), 'the rerun variant is the new run');
    assert.ok(merged.variants.some((v) => variantKey(v) === 'poll/c-core/memory'), 'the new variant is listed');
    assert.equal(merged.variants.length, earlier.variants.length + 1);
    assert.ok(merged.command.startsWith(`${earlier.command}, then npm run experiment -- --quick --update`), merged.command);
    const hoardSection = /\n## Hoard[^\n]*\n[^]*?(?=\n## )/.exec(readFileSync(join(outDir, 'report.md'), 'utf8'))?.[0] ?? '';
    assert.match(hoardSection, /\n\| `poll`[^\n]*→/, 'the report shows the new variant in the hoard table');
  } catch (error) {
    passed = false;
    throw error;
  }
});
