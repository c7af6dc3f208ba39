/**
 * The alert rules in deploy/prometheus/rules: valid for promtool, their unit
 * tests (`promtool test rules`) pass, and every alert is tested both firing
 * and not firing, with a severity and annotations that name what they are
 * about.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ROOT, asArray, asRecord, asString, isRecord, optionalArray, runTool, runToolOk, type JsonRecord } from './tools.ts';

const RULES_DIR = path.join(ROOT, 'deploy/prometheus/rules');
const SEVERITIES = new Set(['critical', 'warning']);

const ruleFiles = (): string[] => readdirSync(RULES_DIR).filter((name) => name.endsWith('.rules.yml')).sort();
const testFiles = (): string[] => readdirSync(RULES_DIR).filter((name) => name.endsWith('.test.yml')).sort();

function readYaml(file: string): JsonRecord {
  return asRecord(parseYaml(readFileSync(path.join(RULES_DIR, file), 'utf8')) as unknown, file);
}

interface AlertRule { file: string; alert: string; expr: string; labels: JsonRecord; annotations: JsonRecord }

function alertRules(): AlertRule[] {
  return ruleFiles().flatMap((file) => asArray(readYaml(file).groups, `${file} groups`).flatMap((group) =>
    asArray(asRecord(group, `${file} group`).rules, `${file} rules`).map((item) => asRecord(item, `${file} rule`))
      .filter((rule) => typeof rule.alert === 'string')
      .map((rule) => ({
        file,
        alert: asString(rule.alert, 'alert'),
        expr: asString(rule.expr, 'expr'),
        labels: isRecord(rule.labels) ? rule.labels : {},
        annotations: isRecord(rule.annotations) ? rule.annotations : {},
      }))));
}

interface AlertCase { alertname: string; firing: JsonRecord[] }

/** Every alert_rule_test case of every test file. */
function alertCases(): AlertCase[] {
  return testFiles().flatMap((file) => asArray(readYaml(file).tests, `${file} tests`).flatMap((item) =>
    optionalArray(asRecord(item, `${file} test`).alert_rule_test, `${file} alert_rule_test`).map((entry) => {
      const testCase = asRecord(entry, `${file} alert_rule_test entry`);
      return {
        alertname: asString(testCase.alertname, 'alertname'),
        firing: optionalArray(testCase.exp_alerts, 'exp_alerts').map((alert) => asRecord(alert, 'exp_alert')),
      };
    })));
}

test('promtool accepts every rules file', () => {
  assert.ok(ruleFiles().length > 0, 'no *.rules.yml in deploy/prometheus/rules');
  const output = runToolOk('promtool', ['check', 'rules', ...ruleFiles().map((file) => path.join(RULES_DIR, file))]);
  assert.match(output, /SUCCESS: \d+ rules found/);
});

test('the alert rules pass their promtool unit tests', () => {
  const files = testFiles();
  assert.ok(files.length > 0, 'no *.test.yml beside the rules');
  // promtool resolves a test file's rule_files from the working directory.
  const result = runTool('promtool', ['test', 'rules', ...files], { cwd: RULES_DIR });
  assert.equal(result.status, 0, `promtool test rules failed:\n${result.stdout}${result.stderr}`);
  assert.doesNotMatch(result.stdout, /FAILED/);
});

test('a wrong expectation fails the unit tests (the check above can fail)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'alert-tests-'));
  try {
    for (const file of ruleFiles()) copyFileSync(path.join(RULES_DIR, file), path.join(dir, file));
    const [file] = testFiles();
    assert.ok(file);
    const text = readFileSync(path.join(RULES_DIR, file), 'utf8');
    const broken = text.replace('severity: critical', 'severity: info');
    assert.notEqual(broken, text, 'the test file expects no critical alert to break');
    writeFileSync(path.join(dir, file), broken);
    const result = runTool('promtool', ['test', 'rules', file], { cwd: dir });
    assert.notEqual(result.status, 0, 'promtool passed a test that expects the wrong severity');
    assert.match(result.stdout + result.stderr, /FAILED/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every rules file has its unit tests beside it', () => {
  const tested = new Set(testFiles().flatMap((file) => optionalArray(readYaml(file).rule_files, `${file} rule_files`).map(String)));
  for (const file of ruleFiles()) assert.ok(tested.has(file), `no *.test.yml lists ${file} in rule_files`);
});

test('every alert is tested firing and not firing', () => {
  const cases = alertCases();
  for (const rule of alertRules()) {
    const mine = cases.filter((testCase) => testCase.alertname === rule.alert);
    assert.ok(mine.some((testCase) => testCase.firing.length > 0), `${rule.alert} is never tested firing`);
    assert.ok(mine.some((testCase) => testCase.firing.length === 0), `${rule.alert} is never tested not firing`);
  }
  const names = new Set(alertRules().map((rule) => rule.alert));
  for (const testCase of cases) assert.ok(names.has(testCase.alertname), `a test expects ${testCase.alertname}, which no rule defines`);
});

test('every alert has a severity, a summary and a description, and names the worker when it is about one', () => {
  const cases = alertCases();
  for (const rule of alertRules()) {
    assert.ok(SEVERITIES.has(String(rule.labels.severity)), `${rule.alert}: severity must be one of ${[...SEVERITIES].join(', ')}`);
    const summary = typeof rule.annotations.summary === 'string' ? rule.annotations.summary : '';
    const description = typeof rule.annotations.description === 'string' ? rule.annotations.description : '';
    assert.ok(summary.length > 20, `${rule.alert} has no summary`);
    assert.ok(description.length > 150, `${rule.alert}: the description must say what it means and what to do`);
    // The labels a firing alert carries, as its unit tests expect them.
    const labels = new Set(cases.filter((testCase) => testCase.alertname === rule.alert)
      .flatMap((testCase) => testCase.firing.flatMap((alert) => Object.keys(isRecord(alert.exp_labels) ? alert.exp_labels : {}))));
    if (labels.has('worker_id')) {
      assert.match(summary, /\{\{ \$labels\.worker_id \}\}/, `${rule.alert} is about one worker: its summary must name it`);
    }
  }
});
