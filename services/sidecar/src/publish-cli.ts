/**
 * `node publish-cli.ts [--count N] [--priority 0|1|2] [--payload BYTES] [--address HOST:PORT]`:
 * publishes a burst into a running sidecar (`make burst N=500` runs it in the
 * sidecar's container, so it needs nothing on the host). Prints how many were
 * enqueued; exits 2 on a bad flag, 1 if the sidecar refused.
 */
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { loadContract } from '@backlog-lab/common/contract';
import { describeError } from '@backlog-lab/common/errors';

const USAGE = 'usage: publish-cli.ts [--count N (1..1000000, default 500)] [--priority 0|1|2 (default 1)] [--payload BYTES (0..65536, default 100)] [--address HOST:PORT (default 127.0.0.1:50051)]';

function fail(message: string, code: number): never {
  process.stderr.write(`publish: ${message}\n`);
  process.exit(code);
}

let values;
try {
  ({ values } = parseArgs({ options: { count: { type: 'string' }, priority: { type: 'string' }, payload: { type: 'string' }, address: { type: 'string' } }, strict: true }));
} catch (error) {
  fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`, 2);
}
const int = (raw: string | undefined, flag: string, fallback: number, max: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max) fail(`--${flag} must be an integer 0..${max}, got '${raw}'\n${USAGE}`, 2);
  return n;
};
const count = Math.max(1, int(values.count, 'count', 500, 1_000_000));
const priority = int(values.priority, 'priority', 1, 2);
const payload = Buffer.alloc(int(values.payload, 'payload', 100, 65_536), 0x61);
const address = values.address ?? '127.0.0.1:50051';

const { Queue } = loadContract();
const client = new Queue(address, grpc.credentials.createInsecure());
const BATCH = 1_000;
let published = 0;
try {
  for (let start = 0; start < count; start += BATCH) {
    const messages = Array.from({ length: Math.min(BATCH, count - start) }, () => ({ priority, payload }));
    await new Promise<void>((resolve, reject) => {
      client.Publish({ messages }, { deadline: Date.now() + 10_000 }, (error, response) => {
        if (error) reject(error);
        else {
          published += response?.ids.length ?? 0;
          resolve();
        }
      });
    });
  }
} catch (error) {
  client.close();
  fail(`the sidecar at ${address} refused after ${published}: ${describeError(error)}`, 1);
}
client.close();
process.stdout.write(`published ${published} messages at priority ${priority} to ${address}\n`);
