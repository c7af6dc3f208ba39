import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, createEnvReader } from '@backlog-lab/common/env';

test('env reader: defaults when unset or blank, values when valid, every problem when not', () => {
  const read = createEnvReader({ A: '7', B: ' ', C: '2.5', D: '1e3', E: 'x', F: 'yes', G: '', H: '12' });
  assert.equal(read.int('A', { default: 1, min: 0, max: 10 }), 7);
  assert.equal(read.int('B', { default: 1, min: 0, max: 10 }), 1);
  assert.equal(read.number('C', { default: 0, min: 0, max: 3 }), 2.5);
  assert.equal(read.int('D', { default: 0, min: 0, max: 5000 }), 1000);
  assert.equal(read.int('C', { default: 0, min: 0, max: 3 }), 0, 'not an integer: the default, and a problem');
  assert.equal(read.int('E', { default: 4, min: 0, max: 10 }), 4);
  assert.equal(read.oneOf('F', ['on', 'off'] as const, 'on'), 'on');
  assert.equal(read.optionalInt('G', { min: 3, max: 9 }), undefined);
  assert.equal(read.optionalInt('H', { min: 3, max: 9 }), 3);
  assert.equal(read.string('Z', 'dflt', { test: (v) => v.length < 3, describe: 'short' }), 'dflt');
  assert.throws(() => { read.done(); }, (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems, [
      "C must be an integer 0..3, got '2.5'",
      "E must be an integer 0..10, got 'x'",
      "F must be one of on|off, got 'yes'",
      "H must be an integer 3..9, got '12'",
      "Z must be short, got 'dflt'",
    ]);
    return true;
  });
});

test('env reader: variables that go together are checked together', () => {
  const read = createEnvReader({ CERT: '/etc/hostname' });
  assert.ok(read.file('CERT')?.length);
  assert.equal(read.file('KEY'), undefined);
  read.requireTogether(['CERT', 'KEY']);
  assert.throws(() => { read.done(); }, /CERT and KEY must be set together, got only CERT/);
  const unreadable = createEnvReader({ F: '/no/such/file' });
  unreadable.file('F');
  assert.throws(() => { unreadable.done(); }, /F must name a readable file, got '\/no\/such\/file'/);
});
