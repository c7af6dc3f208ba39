import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, LOG_LEVELS } from '@backlog-lab/common/logger';

test('a logger writes the levels at or above its own, and enabled() says which, for its children too', () => {
  for (const level of LOG_LEVELS) {
    const lines: { level: string; msg: string; worker_id?: string }[] = [];
    const logger = createLogger('test', level, {}, (line) => { lines.push(JSON.parse(line) as { level: string; msg: string }); });
    const child = logger.child({ worker_id: 'w1' });
    for (const at of LOG_LEVELS) {
      logger[at](`parent ${at}`);
      child[at](`child ${at}`);
      assert.equal(logger.enabled(at), LOG_LEVELS.indexOf(at) >= LOG_LEVELS.indexOf(level), `${level} logger, ${at}`);
      assert.equal(child.enabled(at), logger.enabled(at));
    }
    const written = LOG_LEVELS.filter((at) => logger.enabled(at));
    assert.deepEqual(lines.map((l) => l.msg), written.flatMap((at) => [`parent ${at}`, `child ${at}`]));
    assert.ok(lines.filter((l) => l.msg.startsWith('child')).every((l) => l.worker_id === 'w1'));
  }
});
