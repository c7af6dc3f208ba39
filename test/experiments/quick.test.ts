/**
 * Runs the experiment runner the way a user does (`--quick`, the scenarios
 * the assertions need) and checks the qualitative results that must hold on
 * any machine, fast or slow: counts and orderings, not timings.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runScript } from '../support/run-script.ts';
import type { Results } from '../../experiments/results.ts';

const outDir = mkdtempSync(join(tmpdir(), 'experiment-quick-'));
let results: Results;
let passed = true;

before(async () => {
  const { code, output } = await runScript(['experiments/run.ts', '--quick', '--scenario', 'hoard,kill,size-sweep', '--out', outDir]);
  assert.equal(code, 0, `the runner failed:\n${output}`);
  results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as Results;
}, { timeout: 10 * 60_000 });

after(() => {
  if (passed) rmSync(outDir, { recursive: true, force: true });
  else process.stderr.write(`experiment output kept in ${outDir}\n`);
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

const hoard = (mode: string): Results['hoard'][number] => {
  const run = results.hoard.find((h) => h.mode === mode);
  assert.ok(run, `no hoard run for ${mode}`);
  return run;
};
const kill = (mode: string): Results['kill'][number] => {
  const run = results.kill.find((k) => k.mode === mode);
  assert.ok(run, `no kill run for ${mode}`);
  return run;
};

check('hoard, stream: the slow worker holds the messages and the later workers process none of them', () => {
  const run = hoard('stream');
  // Everything not yet started was in transit to the hoarder, none left in the sidecar's queue.
  assert.ok(run.arrival.inTransit > 0, 'nothing was in transit when the later workers came up');
  assert.equal(run.arrival.inTransit, run.arrival.unstarted);
  assert.equal(run.arrival.newWorkersGot, 0);
  assert.equal(run.laterProcessed, 0);
  for (const w of run.workers.filter((x) => x.role === 'later')) assert.equal(w.timeToFirstMessageS, null, `${w.id} got a message`);
  assert.equal(run.hoarderProcessed, results.profile.hoard.messages);
});

for (const mode of ['credit-1', 'credit-10', 'poll']) {
  check(`hoard, ${mode}: each later worker gets work while the slow worker is still busy`, () => {
    const run = hoard(mode);
    for (const w of run.workers.filter((x) => x.role === 'later')) assert.ok(w.processed >= 1, `${w.id} processed nothing`);
    assert.equal(run.laterStartedWhileHoarderBusy, true);
    assert.equal(run.hoarderProcessed + run.laterProcessed, results.profile.hoard.messages);
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
});

for (const mode of ['credit-1', 'credit-10', 'poll']) {
  check(`kill, ${mode}: nothing is lost; what the killed worker held is redelivered`, () => {
    const run = kill(mode);
    assert.equal(run.lost, 0);
    assert.equal(run.neverProcessed, 0);
    assert.ok(run.heldAtKill >= 1);
    assert.equal(run.requeued, run.heldAtKill);
    assert.equal(run.redelivered, run.heldAtKill);
  });
}

check('size sweep: a stopped reader\'s in-transit count is within 25 % of the model\'s range for payloads of 1000 bytes and more', () => {
  const sweep = results.sizeSweep;
  assert.ok(sweep, 'no size sweep');
  assert.equal(sweep.points.length, results.profile.sizeSweep.payloads.length * results.profile.sizeSweep.windows.length);
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
  const rows = report.split('\n').filter((l) => /^\| `(stream|credit-1|credit-10|poll)` \| \*\*/.test(l));
  assert.deepEqual(rows.map((l) => /`([^`]+)`/.exec(l)?.[1]), ['stream', 'credit-1', 'credit-10', 'poll']);
  assert.match(report, /## Conclusion/);
  assert.match(report, /grpc-js 1\.\d+\.\d+/);
  for (const chart of ['in-transit-hoard', 'backlog', 'first-message', 'kill', 'size-sweep']) {
    for (const ext of ['svg', 'png']) assert.ok(existsSync(join(outDir, 'charts', `${chart}.${ext}`)), `charts/${chart}.${ext} missing`);
  }
});
