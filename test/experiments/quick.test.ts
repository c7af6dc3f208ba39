/**
 * Runs the experiment runner the way a user does (`--quick`, the scenarios
 * the assertions need) and checks the qualitative results that must hold on
 * any machine, fast or slow: counts and orderings, not timings.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { runScript } from '../support/run-script.ts';
import { REPO_ROOT } from '@backlog-lab/harness/repo';
import type { Results } from '../../experiments/results.ts';
import type { ParamsOf, RunOf, ScenarioId } from '../../experiments/scenarios/index.ts';
import type { ModeId } from '../../experiments/variants/modes.ts';
import type { TopologyPart } from '../../experiments/scenarios/topology.ts';
import { variantKey } from '../../experiments/variants/variant.ts';

const outDir = mkdtempSync(join(tmpdir(), 'experiment-quick-'));
const topologyDir = mkdtempSync(join(tmpdir(), 'experiment-quick-topology-'));
let results: Results;
let topologyResults: Results;
let passed = true;

before(async () => {
  const { code, output } = await runScript(['experiments/run.ts', '--quick', '--scenario', 'hoard,kill,size-sweep', '--out', outDir]);
  assert.equal(code, 0, `the runner failed:\n${output}`);
  results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as Results;
  // RabbitMQ behind the sidecars: two modes keep it short (a node of the runner's own, ~6 s to start).
  const topology = await runScript(['experiments/run.ts', '--quick', '--scenario', 'topology', '--mode', 'stream,credit-10', '--out', topologyDir]);
  assert.equal(topology.code, 0, `the runner failed on the topology scenario:\n${topology.output}`);
  topologyResults = JSON.parse(readFileSync(join(topologyDir, 'results.json'), 'utf8')) as Results;
}, { timeout: 15 * 60_000 });

after(() => {
  for (const dir of [outDir, topologyDir]) {
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

/** A scenario's run in one mode, on the only stack and queue there are today. */
const runOf = <K extends ScenarioId>(id: K, mode: ModeId): RunOf<K> => {
  const run = results.scenarios[id]?.runs[variantKey({ mode, stack: 'grpc-js', queue: 'memory' })];
  assert.ok(run, `no ${id} run for ${mode}`);
  return run;
};
const paramsOf = <K extends ScenarioId>(id: K): ParamsOf<K> => {
  const params = results.scenarios[id]?.params;
  assert.ok(params, `no ${id} parameters`);
  return params;
};
const hoard = (mode: ModeId): RunOf<'hoard'> => runOf('hoard', mode);
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
const kill = (mode: ModeId): RunOf<'kill'> => runOf('kill', mode);

check('hoard, stream: the slow worker holds the messages and the later workers process none of them', () => {
  const run = hoard('stream');
  // Everything not yet started was in transit to the hoarder, none left in the sidecar's queue.
  assert.ok(run.arrival.inTransit > 0, 'nothing was in transit when the later workers came up');
  assert.equal(run.arrival.inTransit, run.arrival.unstarted);
  assert.equal(run.arrival.newWorkersGot, 0);
  assert.equal(run.laterProcessed, 0);
  for (const w of run.workers.filter((x) => x.role === 'later')) assert.equal(w.timeToFirstMessageS, null, `${w.id} got a message`);
  assert.equal(run.hoarderProcessed, paramsOf('hoard').messages);
});

for (const mode of ['credit-1', 'credit-10', 'poll'] as const) {
  check(`hoard, ${mode}: each later worker gets work while the slow worker is still busy`, () => {
    const run = hoard(mode);
    for (const w of run.workers.filter((x) => x.role === 'later')) assert.ok(w.processed >= 1, `${w.id} processed nothing`);
    assert.equal(run.laterStartedWhileHoarderBusy, true);
    assert.equal(run.hoarderProcessed + run.laterProcessed, paramsOf('hoard').messages);
    // What the hoarder held is bounded by what it asked for.
    assert.ok(run.arrival.inTransit <= (mode === 'credit-10' ? 9 : 1), `${run.arrival.inTransit} in transit to the hoarder`);
  });
}

check('kill, stream: exactly what the killed worker held is lost, and never processed by anyone', () => {
  const run = kill('stream');
  assert.ok(run.heldAtKill >= 2, `the victim held only ${run.heldAtKill}`);
  assert.equal(run.lost, run.heldAtKill);
  assert.equal(run.neverProcessed, run.lost);
  // Held = in transit + the one in hand (the kill came right after a start).
  assert.ok(run.heldAtKill - run.inTransitAtKill >= 0 && run.heldAtKill - run.inTransitAtKill <= 1, `held ${run.heldAtKill}, in transit ${run.inTransitAtKill}`);
  assert.equal(run.redelivered, 0);
  assert.equal(run.firstRedeliveryS, null);
  assert.equal(run.lostIsNeverProcessed, true);
});

for (const mode of ['credit-1', 'credit-10', 'poll'] as const) {
  check(`kill, ${mode}: nothing is lost; what the killed worker held is redelivered`, () => {
    const run = kill(mode);
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

check('size sweep: a stopped reader\'s in-transit count is within 25 % of the model\'s range for payloads of 1000 bytes and more', () => {
  const sweep = runOf('size-sweep', 'stream');
  const params = paramsOf('size-sweep');
  assert.equal(sweep.points.length, params.payloads.length * params.windows.length);
  assert.ok(sweep.constants.q > 0 && sweep.constants.h > 0 && sweep.constants.serverBuffer > 0, 'Q, H and B were not read');
  // The model is a range: the client's share plus 1..B messages the server
  // holds at rest, and which of those a run ends on is timing. With 60 kB
  // payloads that range is half the total (18..33), so "within 25 % of the
  // model" is within 25 % of the range, not of its centre.
  for (const p of sweep.points.filter((x) => x.payloadBytes >= 1000)) {
    assert.ok(p.measured >= 0.75 * p.modelLow && p.measured <= 1.25 * p.modelHigh,
      `S=${p.payloadBytes} W=${p.streamWindow}: measured ${p.measured}, model ${p.modelLow}..${p.modelHigh}`);
    assert.equal(p.writeBlocked, true, `S=${p.payloadBytes} W=${p.streamWindow}: the sidecar was not blocked`);
  }
});

check('the report has the five-number table with one row per mode, and every chart as SVG and PNG', () => {
  const report = readFileSync(join(outDir, 'report.md'), 'utf8');
  // A row is a mode and a stack, then the figures.
  const rows = report.split('\n').filter((l) => /^\| `(stream|credit-1|credit-10|poll)` \| `grpc-js` \| \*\*/.test(l));
  assert.deepEqual(rows.map((l) => /`([^`]+)`/.exec(l)?.[1]), ['stream', 'credit-1', 'credit-10', 'poll']);
  assert.match(report, /## Conclusion/);
  assert.match(report, /grpc-js 1\.\d+\.\d+/);
  for (const chart of ['in-transit-hoard', 'backlog', 'first-message', 'kill', 'size-sweep']) {
    for (const ext of ['svg', 'png']) assert.ok(existsSync(join(outDir, 'charts', `${chart}.${ext}`)), `charts/${chart}.${ext} missing`);
  }
});

check('the report\'s links to the repository\'s docs resolve from wherever it was written', () => {
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
    assert.ok(p.lost >= 1 && p.lost <= p.victimInFlight, `${p.topology}: lost ${p.lost}, the victim held ${p.victimInFlight}`);
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
});
