/**
 * Runs the benchmark the way a user narrows it (`--quick --only ...`) on real
 * processes and checks its bookkeeping, not its timings: every run counted
 * every message, ratios are paired by round against the right baseline, and
 * the targets and memory rows come from those figures.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { MemoryResult, TargetResult, ThroughputResult } from '../../bench/report.ts';
import { runScript } from '../support/run-script.ts';

const outDir = mkdtempSync(join(tmpdir(), 'bench-quick-'));
let results: { throughput: ThroughputResult[]; memory: MemoryResult[]; targets: TargetResult[] };
let markdown: string;

before(async () => {
  const { code, output } = await runScript(['bench/run.ts', '--quick', '--only', '^(stream|poll|credit-1)/shipped$', '--rounds', '2', '--out', outDir]);
  assert.equal(code, 0, `the bench failed:\n${output}`);
  results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as typeof results;
  markdown = readFileSync(join(outDir, 'results.md'), 'utf8');
}, { timeout: 5 * 60_000 });

after(() => { rmSync(outDir, { recursive: true, force: true }); });

const row = (id: string): ThroughputResult => {
  const found = results.throughput.find((r) => r.id === id);
  assert.ok(found, `no row for ${id}`);
  return found;
};

test('bench --only runs the matching contenders with their baselines, every round, every message counted', () => {
  assert.deepEqual(results.throughput.map((r) => r.id).sort(), ['bare-credit-1', 'bare-stream', 'bare-unary', 'credit-1/shipped', 'poll/shipped', 'stream/shipped']);
  for (const r of results.throughput) {
    assert.deepEqual(r.failures, [], r.id);
    assert.deepEqual(r.runs.map((run) => run.round), [0, 1], r.id);
    assert.ok(r.messagesPerRun >= 300, `${r.id}: ${r.messagesPerRun} messages per run`);
    for (const run of r.runs) {
      assert.equal(run.messages, r.messagesPerRun, r.id);
      assert.ok(Math.abs(run.rate - run.messages / run.seconds) < 1e-6, r.id);
      assert.ok(run.serverCpuMicrosPerMessage > 0 && run.clientCpuMicrosPerMessage > 0, `${r.id}: no CPU time read`);
    }
  }
  assert.equal(row('stream/shipped').baseline, 'bare-stream');
  assert.equal(row('poll/shipped').baseline, 'bare-unary');
  assert.equal(row('credit-1/shipped').baseline, 'bare-credit-1');
  assert.equal(row('bare-credit-1').baseline, 'bare-stream');
});

test('bench: a ratio is paired by round with its baseline, and a target quotes that ratio', () => {
  for (const id of ['stream/shipped', 'poll/shipped', 'credit-1/shipped', 'bare-credit-1']) {
    const own = row(id);
    const base = row(own.baseline ?? '');
    const perRound = own.runs.map((run) => run.rate / (base.runs.find((b) => b.round === run.round)?.rate ?? NaN));
    assert.ok(own.rateRatio, id);
    assert.ok(Math.abs(own.rateRatio.min - Math.min(...perRound)) < 1e-9, id);
    assert.ok(Math.abs(own.rateRatio.max - Math.max(...perRound)) < 1e-9, id);
    assert.ok(own.rateRatio.median >= own.rateRatio.min && own.rateRatio.median <= own.rateRatio.max, id);
  }
  const streamTarget = results.targets.find((t) => t.target.startsWith('sidecar `stream`'));
  const pollTarget = results.targets.find((t) => t.target.startsWith('`poll`'));
  assert.ok(streamTarget && pollTarget, 'the stream and poll targets are missing');
  assert.equal(streamTarget.value, row('stream/shipped').rateRatio?.median);
  assert.equal(pollTarget.value, row('poll/shipped').rateRatio?.median);
  assert.equal(streamTarget.met, streamTarget.value >= 0.8);
  const creditTarget = results.targets.find((t) => t.target.startsWith('`credit` prefetch 1,'));
  assert.equal(creditTarget?.value, row('credit-1/shipped').rateRatioToStream?.median);
});

test('bench: memory rows measure the queued messages above an idle sidecar, next to the bare server', () => {
  const memory = (id: string): MemoryResult => {
    const found = results.memory.find((m) => m.id === id);
    assert.ok(found, `no memory row ${id}`);
    return found;
  };
  const idle = memory('idle');
  for (const id of ['burst-100000', 'publish-100000']) {
    const m = memory(id);
    assert.equal(m.messages, 100_000, id);
    assert.ok(m.rssBytes.median > idle.rssBytes.median, `${id}: RSS not above idle`);
    assert.ok(Math.abs((m.bytesPerMessageAboveIdle?.median ?? NaN) - (m.rssBytes.median - idle.rssBytes.median) / 100_000) < 1e-6, id);
  }
  assert.ok(memory('publish-100000').baselineRssBytes, 'the Publish row has no bare-server figure');
  assert.ok(memory('streams-20-stopped').messages > 0, 'no message held by the stopped streams');
});

test('bench: results.md has the targets and a row for every contender', () => {
  assert.match(markdown, /### Targets/);
  for (const id of ['bare-stream', 'bare-unary', 'bare-credit-1']) assert.match(markdown, new RegExp(`\\*\\*${id}\\*\\*`));
  assert.match(markdown, /\| stream \| sidecar Subscribe, stream workers \|/);
  assert.match(markdown, /\| poll \| sidecar Pull \+ Ack, poll workers \|/);
});

test('bench --rerender rewrites the same results.md from results.json, and refuses a folder without one', async () => {
  const rerendered = await runScript(['bench/run.ts', '--rerender', '--out', outDir]);
  assert.equal(rerendered.code, 0, rerendered.output);
  assert.equal(readFileSync(join(outDir, 'results.md'), 'utf8'), markdown);
  assert.deepEqual((JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as typeof results).targets, results.targets);
  const missing = await runScript(['bench/run.ts', '--rerender', '--out', join(outDir, 'nothing-here')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^bench: --rerender: cannot read .*nothing-here\/results\.json/);
});

test('bench: a bad flag stops it before anything starts, with the reason and the usage', async () => {
  const { code, stderr } = await runScript(['bench/run.ts', '--only', 'credit-5']);
  assert.equal(code, 2);
  assert.match(stderr, /^bench: --only 'credit-5' matches no contender/);
  assert.match(stderr, /usage: node bench\/run.ts/);
  assert.doesNotMatch(stderr, /starting/);
});
