import assert from 'node:assert/strict';
import http2, { type ClientHttp2Session } from 'node:http2';
import { connect } from 'node:net';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { ConsumeRequest, Delivery__Output, QueueClient } from '@backlog-lab/common/contract';
import { waitFor, waitForSteady, workerStats } from '@backlog-lab/harness/admin-client';
import { num, startInProcessLab, type InProcessLab } from '../support/in-process-lab.ts';

function unary<Req, Res>(call: (req: Req, cb: (e: grpc.ServiceError | null, r?: Res) => void) => unknown, request: Req): Promise<{ error: grpc.ServiceError | null; response: Res | undefined }> {
  return new Promise((resolve) => {
    call(request, (error, response) => { resolve({ error, response }); });
  });
}

/** Opens Consume, sends `requests`, and resolves with the stream's final status and what it delivered. */
function consume(client: QueueClient, requests: ConsumeRequest[], opts: { closeAfterMs?: number } = {}): Promise<{ status: grpc.StatusObject; delivered: Delivery__Output[] }> {
  return new Promise((resolve) => {
    const call = client.Consume();
    const delivered: Delivery__Output[] = [];
    call.on('data', (d: Delivery__Output) => delivered.push(d));
    call.on('error', () => undefined);
    call.on('status', (status) => { resolve({ status, delivered }); });
    for (const r of requests) call.write(r);
    if (opts.closeAfterMs !== undefined) setTimeout(() => { call.cancel(); }, opts.closeAfterMs);
  });
}

async function stillServing(lab: InProcessLab, id: string): Promise<void> {
  // High priority, so it does not wait behind whatever the test left queued.
  const [published] = await lab.admin.publish([{ id, priority: 2, payload: Buffer.alloc(5) }]);
  const worker = await lab.worker(`ok-${id}`, { DELIVERY_MODE: 'poll', PROCESSING_DELAY_MS: 0 });
  await waitFor('a well-behaved worker to be served', () => (worker.processedIds().includes(published ?? '') ? true : undefined));
  await worker.stop();
}

test('Publish rejects bad messages with a clear status and enqueues none of the batch', async () => {
  const lab = await startInProcessLab({ MAX_PAYLOAD_BYTES: 1000, MAX_QUEUED: 50 });
  const client = lab.admin.raw;
  const publish = client.Publish.bind(client) as (r: unknown, cb: (e: grpc.ServiceError | null, r?: unknown) => void) => unknown;
  const cases: [string, unknown, grpc.status, RegExp][] = [
    ['priority out of range', { messages: [{ priority: 1 }, { priority: 3 }] }, grpc.status.INVALID_ARGUMENT, /messages\[1\]\.priority must be 0\.\.2, got 3/],
    ['payload above the limit', { messages: [{ payload: Buffer.alloc(1001) }] }, grpc.status.RESOURCE_EXHAUSTED, /1001 bytes; the limit is 1000/],
    ['duplicate ids in a batch', { messages: [{ id: 'a' }, { id: 'a' }] }, grpc.status.ALREADY_EXISTS, /"a" is already queued/],
    ['an id with spaces', { messages: [{ id: 'has space' }] }, grpc.status.INVALID_ARGUMENT, /id must be 1\.\.128 printable/],
    ['more than the queue may hold', { messages: Array.from({ length: 51 }, () => ({})) }, grpc.status.RESOURCE_EXHAUSTED, /the limit is 50/],
  ];
  for (const [what, request, code, details] of cases) {
    const { error } = await unary(publish, request);
    assert.equal(error?.code, code, what);
    assert.match(error.details, details, what);
  }
  assert.equal(num((await lab.admin.stats()).totals?.published), 0);
  // gRPC's own limit sits above the sidecar's: a 4.1 MB message is refused by the transport.
  const { error } = await unary(publish, { messages: [{ payload: Buffer.alloc(4_300_000) }] });
  assert.equal(error?.code, grpc.status.RESOURCE_EXHAUSTED);
  await stillServing(lab, 'after-publish');
});

test('Consume: a bad hello, a missing hello, a second hello, empty or foreign acks end that stream only', async () => {
  const lab = await startInProcessLab({ MAX_PREFETCH: 100, FIRST_MESSAGE_TIMEOUT_MS: 500 });
  const client = lab.admin.raw;
  const hello = (prefetch: number, workerId = 'bad'): ConsumeRequest => ({ hello: { workerId, prefetch } });
  for (const [what, requests, code, details] of [
    ['prefetch 0', [hello(0)], grpc.status.INVALID_ARGUMENT, /prefetch must be 1\.\.100 \(the sidecar's MAX_PREFETCH\), got 0/],
    ['prefetch above the maximum', [hello(101)], grpc.status.INVALID_ARGUMENT, /got 101/],
    ['a negative prefetch (arrives as 2^32-1: uint32)', [hello(-1)], grpc.status.INVALID_ARGUMENT, /got 4294967295/],
    ['an ack before the hello', [{ ack: { ackIds: ['x'] } }], grpc.status.INVALID_ARGUMENT, /first message on Consume must be a hello/],
    ['an empty worker id', [hello(1, '')], grpc.status.INVALID_ARGUMENT, /worker_id/],
    ['a second hello', [hello(1), hello(1)], grpc.status.INVALID_ARGUMENT, /only the first message may be a hello/],
    ['an ack with no ids', [hello(1), { ack: { ackIds: [] } }], grpc.status.INVALID_ARGUMENT, /ack\.ack_ids must hold 1\.\.1000 ids, got 0/],
    ['an ack id with a space', [hello(1), { ack: { ackIds: ['a b'] } }], grpc.status.INVALID_ARGUMENT, /ack\.ack_ids\[0\] must be 1\.\.128 printable/],
    ['an ack id never delivered', [hello(1), { ack: { ackIds: ['nope'] } }], grpc.status.FAILED_PRECONDITION, /not delivered on this stream/],
    ['no hello at all', [], grpc.status.DEADLINE_EXCEEDED, /no request message within 500 ms/],
  ] as const) {
    const { status } = await consume(client, [...requests] as ConsumeRequest[]);
    assert.equal(status.code, code, what);
    assert.match(status.details, details, what);
  }

  // Stream A holds a message. A second stream under A's worker id is refused;
  // stream B acks A's ack id and is refused; a unary Ack cannot take it either.
  await lab.admin.publish([{ id: 'held', priority: 1, payload: Buffer.alloc(5) }]);
  const a = client.Consume();
  a.on('error', () => undefined);
  a.write(hello(1, 'holder'));
  const held = await new Promise<Delivery__Output>((resolve) => a.once('data', resolve));
  const twin = await consume(client, [hello(1, 'holder')]);
  assert.equal(twin.status.code, grpc.status.ALREADY_EXISTS);
  const foreign = await consume(client, [hello(1, 'thief'), { ack: { ackIds: [held.ackId] } }]);
  assert.equal(foreign.status.code, grpc.status.FAILED_PRECONDITION);
  const { error } = await unary(client.Ack.bind(client) as never, { workerId: 'holder', ackId: held.ackId });
  assert.equal(error?.code, grpc.status.NOT_FOUND);
  assert.equal(num(workerStats(await lab.admin.stats(), 'holder').inFlight), 1);
  a.write({ ack: { ackIds: [held.ackId] } });
  await waitFor('the real ack', async () => (num((await lab.admin.stats()).totals?.acked) === 1 ? true : undefined));
  a.cancel();
  await stillServing(lab, 'after-consume');
});

test('Pull and Ack: out-of-range timeout, foreign, unknown and repeated acks get clear answers', async () => {
  const lab = await startInProcessLab({ LONG_POLL_MAX_MS: 1000 });
  const client = lab.admin.raw;
  const pull = client.Pull.bind(client) as never;
  const ack = client.Ack.bind(client) as never;
  const tooLong = await unary<unknown, unknown>(pull, { workerId: 'p', timeoutMs: 1001 });
  assert.equal(tooLong.error?.code, grpc.status.INVALID_ARGUMENT);
  assert.match(tooLong.error.details, /timeout_ms must be 0\.\.1000 \(the sidecar's LONG_POLL_MAX_MS\), got 1001/);
  const empty = await unary<unknown, { message: unknown }>(pull, { workerId: 'p', timeoutMs: 50 });
  assert.equal(empty.error, null);
  assert.equal(empty.response?.message, null);

  await lab.admin.publish([{ id: 'm1', priority: 1, payload: Buffer.alloc(5) }]);
  const got = await unary<unknown, { message: Delivery__Output | null; leaseMs: number }>(pull, { workerId: 'p', timeoutMs: 1000 });
  const message = got.response?.message;
  assert.equal(message?.id, 'm1');
  assert.equal(got.response?.leaseMs, lab.config.pollLeaseMs);
  const ackId = message.ackId;
  // Another worker id with the very ack id: NOT_FOUND, as for an id nobody holds.
  const byOther = await unary<unknown, unknown>(ack, { workerId: 'q', ackId });
  assert.equal(byOther.error?.code, grpc.status.NOT_FOUND);
  const malformed = await unary<unknown, unknown>(ack, { workerId: 'p', ackId: 'x'.repeat(129) });
  assert.equal(malformed.error?.code, grpc.status.INVALID_ARGUMENT);
  const first = await unary<unknown, { outcome: string }>(ack, { workerId: 'p', ackId });
  assert.equal(first.response?.outcome, 'ACK_OUTCOME_ACKED');
  const again = await unary<unknown, { outcome: string }>(ack, { workerId: 'p', ackId });
  assert.equal(again.response?.outcome, 'ACK_OUTCOME_ALREADY_ACKED');
  const unknown = await unary<unknown, unknown>(ack, { workerId: 'p', ackId: 'never-sent' });
  assert.equal(unknown.error?.code, grpc.status.NOT_FOUND);
  assert.equal(num((await lab.admin.stats()).totals?.acked), 1);
});

test('Receipt: bad batches are refused; ack ids not held on this worker\'s stream are ignored, not counted', async () => {
  const lab = await startInProcessLab({ RECEIPT_GRACE_MS: 200 });
  const client = lab.admin.raw;
  const receipt = client.Receipt.bind(client) as never;
  for (const [what, request, details] of [
    ['no ids', { workerId: 's', ackIds: [] }, /ack_ids must hold 1\.\.1000 ids, got 0/],
    ['1001 ids', { workerId: 's', ackIds: Array.from({ length: 1001 }, (_, i) => `m${i}`) }, /got 1001/],
    ['an empty worker id', { workerId: '', ackIds: ['x'] }, /worker_id/],
    ['an id of 129 characters', { workerId: 's', ackIds: ['x'.repeat(129)] }, /ack_ids\[0\] must be 1\.\.128/],
  ] as const) {
    const { error } = await unary<unknown, unknown>(receipt, request);
    assert.equal(error?.code, grpc.status.INVALID_ARGUMENT, what);
    assert.match(error.details, details, what);
  }

  // One message on a Subscribe stream, one pulled.
  await lab.admin.publish([{ id: 'streamed', priority: 2, payload: Buffer.alloc(5) }]);
  const subscription = client.Subscribe({ workerId: 's' });
  subscription.on('error', () => undefined);
  const streamed = await new Promise<Delivery__Output>((resolve) => subscription.once('data', resolve));
  assert.equal(streamed.id, 'streamed');
  subscription.cancel();
  await waitFor('the grace to pass and the message to count lost', async () => (num(workerStats(await lab.admin.stats(), 's').lost) === 1 ? true : undefined));
  await lab.admin.publish([{ id: 'pulled', priority: 1, payload: Buffer.alloc(5) }]);
  const pulled = await unary<unknown, { message: Delivery__Output | null }>(client.Pull.bind(client) as never, { workerId: 'p', timeoutMs: 1000 });
  const pulledMessage = pulled.response?.message;
  assert.equal(pulledMessage?.id, 'pulled');

  // The stream ended longer than the grace ago: a late receipt changes nothing.
  const late = await unary<unknown, { counted: number; ignored: number }>(receipt, { workerId: 's', ackIds: [streamed.ackId] });
  assert.deepEqual({ ...late.response }, { counted: 0, ignored: 1 });
  // A receipt cannot settle a pulled message (it must be acked), nor an Ack a streamed one.
  const pulledAck = pulledMessage.ackId;
  const wrongMode = await unary<unknown, { counted: number; ignored: number }>(receipt, { workerId: 'p', ackIds: [pulledAck, pulledAck, 'never-sent'] });
  assert.deepEqual({ ...wrongMode.response }, { counted: 0, ignored: 3 });
  const stats = await lab.admin.stats();
  assert.equal(num(workerStats(stats, 's').lost), 1);
  assert.equal(num(workerStats(stats, 'p').inFlight), 1);
  assert.equal(num(stats.totals?.acked), 0);

  await lab.admin.publish([{ id: 'streamed-2', priority: 2, payload: Buffer.alloc(5) }]);
  const second = client.Subscribe({ workerId: 's2' });
  second.on('error', () => undefined);
  const delivered = await new Promise<Delivery__Output>((resolve) => second.once('data', resolve));
  assert.equal(delivered.id, 'streamed-2');
  const ack = await unary<unknown, unknown>(client.Ack.bind(client) as never, { workerId: 's2', ackId: delivered.ackId });
  assert.equal(ack.error?.code, grpc.status.NOT_FOUND);
  const counted = await unary<unknown, { counted: number; ignored: number }>(receipt, { workerId: 's2', ackIds: [delivered.ackId, delivered.ackId] });
  assert.deepEqual({ ...counted.response }, { counted: 1, ignored: 1 });
  assert.equal(num(workerStats(await lab.admin.stats(), 's2').inFlight), 0);
  second.cancel();
  await waitFor('the second stream to close', async () => (workerStats(await lab.admin.stats(), 's2').connected ? undefined : true));
  await stillServing(lab, 'after-receipts');
});

/**
 * A raw HTTP/2 Subscribe that never reads: it sends no WINDOW_UPDATE, so the
 * sidecar can only fill the stream's window and its own buffers. (A grpc-js
 * client is no use here: until the app first reads, grpc-js drains the
 * HTTP/2 stream into its own unbounded queue.)
 */
function hoardingSubscribe(port: number, workerId: string): ClientHttp2Session {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  const id = Buffer.from(workerId);
  const body = Buffer.concat([Buffer.from([0, 0, 0, 0, id.length + 2, 0x0a, id.length]), id]);
  const stream = session.request({
    ':method': 'POST', ':path': '/backlog.v1.Queue/Subscribe', 'content-type': 'application/grpc', te: 'trailers',
  });
  stream.on('error', () => undefined);
  stream.pause();
  stream.end(body);
  return session;
}

test('clients that never read, or send garbage bytes, cannot make the sidecar buffer without limit', async () => {
  const lab = await startInProcessLab();
  const hoarders = Array.from({ length: 40 }, (_, i) => hoardingSubscribe(lab.grpcPort, `hoarder-${i}`));
  for (let i = 0; i < 10; i++) {
    const socket = connect(lab.grpcPort, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.end(Buffer.from(`garbage ${i} \x00\xff\x13 not http/2`));
  }
  await lab.admin.publishMany(60_000, { payloadBytes: 1000 });
  await waitFor('every hoarder to be full', async () => {
    const stats = await lab.admin.stats();
    return stats.workers.filter((w) => w.workerId.startsWith('hoarder-') && Number(w.dispatched) > 0).length === 40 ? stats : undefined;
  });
  await waitForSteady('dispatching to the hoarders', async () => (await lab.admin.stats()).workers.reduce((n, w) => n + num(w.dispatched), 0));
  const stats = await lab.admin.stats();
  const perStream = stats.workers.filter((w) => w.workerId.startsWith('hoarder-')).map((w) => num(w.dispatched));
  // The 64 KiB window holds 65 messages of 1005 bytes; the sidecar's writable
  // holds 16 more and Node's HTTP/2 stream buffer about 16 KiB: well under 150.
  assert.ok(Math.max(...perStream) < 150, `a non-reading stream was sent ${Math.max(...perStream)}`);
  const queued = stats.queueDepth.reduce((n, d) => n + num(d), 0);
  assert.equal(queued + perStream.reduce((a, b) => a + b, 0), 60_000);
  for (const session of hoarders) session.destroy();
  await stillServing(lab, 'after-hoarders');
});
