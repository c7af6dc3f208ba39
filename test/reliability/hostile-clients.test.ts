/**
 * A client on the gRPC port that is hostile, not just wrong: it floods,
 * plants ids, guesses other workers' messages, sends huge ids, opens calls it
 * never finishes. Each test is bounded (loops that stop by themselves) and
 * asserts what the sidecar promises: nothing changes on a refused request,
 * only the holder settles, memory and metric series stay bounded, a normal
 * worker keeps being served.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http2 from 'node:http2';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { loadContract, type ConsumeRequest, type Delivery__Output, type QueueClient } from '@backlog-lab/common/contract';
import { waitFor, workerStats } from '@backlog-lab/harness/admin-client';
import { scrape, sum } from '@backlog-lab/harness/prometheus-text';
import type { LogRecord } from '@backlog-lab/harness/service-process';
import { num, startInProcessLab } from '../support/in-process-lab.ts';

type Unary<Req, Res> = (req: Req, cb: (e: grpc.ServiceError | null, r?: Res) => void) => unknown;
function unary<Req, Res>(call: Unary<Req, Res>, request: Req): Promise<{ error: grpc.ServiceError | null; response: Res | undefined }> {
  return new Promise((resolve) => {
    call(request, (error, response) => { resolve({ error, response }); });
  });
}
const bind = <Req, Res>(client: QueueClient, method: 'Ack' | 'Receipt' | 'Pull' | 'Publish' | 'ExtendLease'): Unary<Req, Res> =>
  (client[method] as (...args: unknown[]) => unknown).bind(client);

/** A credit stream that acks everything it gets at once and records it. */
function greedyConsumer(client: QueueClient, workerId: string, prefetch: number): { delivered: Delivery__Output[]; stop(): void } {
  const delivered: Delivery__Output[] = [];
  const call = client.Consume();
  call.on('error', () => undefined);
  call.on('data', (d: Delivery__Output) => {
    delivered.push(d);
    call.write({ ack: { ackIds: [d.ackId] } });
  });
  call.write({ hello: { workerId, prefetch } });
  return { delivered, stop: () => { call.cancel(); } };
}

const longestLine = (logs: readonly LogRecord[]): number => Math.max(0, ...logs.map((r) => JSON.stringify(r).length));

test('a Publish too big to answer is refused whole, before anything is enqueued', async () => {
  const lab = await startInProcessLab({ MAX_PUBLISH_BYTES: 10_000 });
  const publish = bind<unknown, { ids: string[] }>(lab.admin.raw, 'Publish');
  // One million empty messages is a 2 MB request whose reply (one million ids) no client could take.
  const flood = await unary(publish, { messages: Array.from({ length: 1_000_000 }, () => ({})) });
  assert.equal(flood.error?.code, grpc.status.INVALID_ARGUMENT);
  assert.match(flood.error.details, /messages must hold 1\.\.10000 messages \(MAX_PUBLISH_MESSAGES\), got 1000000/);
  const heavy = await unary(publish, { messages: Array.from({ length: 20 }, () => ({ payload: Buffer.alloc(600) })) });
  assert.equal(heavy.error?.code, grpc.status.RESOURCE_EXHAUSTED);
  const stats = await lab.admin.stats();
  assert.equal(num(stats.totals?.published), 0);
  assert.equal(stats.queueDepth.reduce((n, d) => n + num(d), 0), 0);
  // The largest batch allowed goes through, and its reply fits.
  const max = await unary(publish, { messages: Array.from({ length: 10_000 }, () => ({})) });
  assert.equal(max.response?.ids.length, 10_000);
});

test('a 1 MiB id is refused with a bounded message and never written whole to the log', async () => {
  const lab = await startInProcessLab();
  const huge = 'x'.repeat(1024 * 1024);
  const client = lab.admin.raw;
  const answers = [
    (await unary(bind(client, 'Ack'), { workerId: 'w', ackId: huge })).error,
    (await unary(bind(client, 'Receipt'), { workerId: 'w', ackIds: [huge] })).error,
    (await unary(bind(client, 'ExtendLease'), { workerId: 'w', ackIds: [huge] })).error,
    (await unary(bind(client, 'Publish'), { messages: [{ id: huge }] })).error,
    (await unary(bind(client, 'Pull'), { workerId: huge, timeoutMs: 1 })).error,
  ];
  const consume = await new Promise<grpc.StatusObject>((resolve) => {
    const call = client.Consume();
    call.on('error', () => undefined);
    call.on('status', resolve);
    call.write({ hello: { workerId: 'w', prefetch: 1 } } satisfies ConsumeRequest);
    call.write({ ack: { ackIds: [huge] } } satisfies ConsumeRequest);
  });
  for (const status of [...answers, consume]) {
    assert.equal(status?.code, grpc.status.INVALID_ARGUMENT);
    assert.ok(status.details.length < 200, `a ${status.details.length}-character status`);
  }
  assert.ok(longestLine(lab.logs) < 1000, `a log line of ${longestLine(lab.logs)} characters`);
});

test('planted ids never cause a duplicate delivery or a phantom in flight: every message once, nothing left in flight', async () => {
  const lab = await startInProcessLab();
  const publish = bind<unknown, { ids: string[] }>(lab.admin.raw, 'Publish');
  const consumers = [greedyConsumer(lab.admin.raw, 'greedy-1', 100), greedyConsumer(lab.admin.raw, 'greedy-2', 100)];
  const published: string[] = [];
  let refusedPlants = 0;
  for (let round = 0; round < 40; round++) {
    // Learn the counter from an ordinary Publish, then plant the next ids before the sidecar generates them.
    const { response } = await unary(publish, { messages: Array.from({ length: 20 }, () => ({})) });
    const last = response?.ids.at(-1) ?? '';
    published.push(...(response?.ids ?? []));
    const [prefix, counter] = last.split('-');
    const planted = Array.from({ length: 20 }, (_, i) => ({ id: `${prefix}-${String(Number(counter) + 1 + i).padStart(6, '0')}` }));
    const plant = await unary(publish, { messages: planted });
    if (plant.error) refusedPlants++;
    else published.push(...(plant.response?.ids ?? []));
  }
  await waitFor('everything delivered', async () => (num((await lab.admin.stats()).totals?.acked) === published.length ? true : undefined));
  for (const c of consumers) c.stop();
  const delivered = consumers.flatMap((c) => c.delivered.map((d) => d.id));
  assert.equal(delivered.length, published.length, 'a message was delivered twice, or one vanished');
  assert.deepEqual(new Set(delivered), new Set(published));
  assert.equal(new Set(published).size, published.length, 'an id was handed out twice');
  assert.equal(refusedPlants, 0, 'planting ids ahead of the counter is allowed; the generator skips them');
  await waitFor('both consumers gone', async () => ((await lab.admin.stats()).workers.every((w) => !w.connected) ? true : undefined));
  const stats = await lab.admin.stats();
  assert.equal(stats.workers.reduce((n, w) => n + num(w.inFlight), 0), 0);
  assert.equal(num(stats.totals?.published), num(stats.totals?.acked));
});

test('a foreign Ack, Receipt or Consume cannot settle or take another worker\'s messages', async () => {
  const lab = await startInProcessLab();
  const client = lab.admin.raw;
  await lab.admin.publishMany(2000, { idPrefix: 'v' });
  const streamer = await lab.worker('victim-stream', { DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 60_000, WORKER_DRAIN_MS: 200 });
  await waitFor('the stream worker to hold hundreds', async () => (num(workerStats(await lab.admin.stats(), streamer.workerId).inFlight) > 100 ? true : undefined));
  const pulled = await unary<unknown, { message: Delivery__Output | null }>(bind(client, 'Pull'), { workerId: 'victim-poll', timeoutMs: 1000 });
  const victimsMessage = pulled.response?.message;
  assert.ok(victimsMessage);
  const before = await lab.admin.stats();

  // The attacker knows the worker ids (Stats lists them) and the message ids, but not the ack ids.
  const guesses = [victimsMessage.id, ...Array.from({ length: 50 }, (_, i) => `v-${String(i).padStart(6, '0')}`)];
  for (const ackId of guesses) {
    const ack = await unary(bind(client, 'Ack'), { workerId: 'victim-poll', ackId });
    assert.equal(ack.error?.code, grpc.status.NOT_FOUND);
  }
  const receipt = await unary<unknown, { counted: number }>(bind(client, 'Receipt'), { workerId: streamer.workerId, ackIds: guesses });
  assert.equal(receipt.response?.counted, 0);
  const takeover = await new Promise<grpc.StatusObject>((resolve) => {
    const call = client.Subscribe({ workerId: streamer.workerId });
    call.on('error', () => undefined);
    call.on('status', resolve);
  });
  assert.equal(takeover.code, grpc.status.ALREADY_EXISTS);

  const after = await lab.admin.stats();
  for (const id of [streamer.workerId, 'victim-poll']) {
    assert.equal(workerStats(after, id).acked, workerStats(before, id).acked, id);
    assert.ok(num(workerStats(after, id).inFlight) >= num(workerStats(before, id).inFlight), id);
  }
  // The holder itself still settles its message.
  const own = await unary<unknown, { outcome: string }>(bind(client, 'Ack'), { workerId: 'victim-poll', ackId: victimsMessage.ackId });
  assert.equal(own.response?.outcome, 'ACK_OUTCOME_ACKED');
});

test('ten thousand worker ids that go idle are forgotten after the TTL, metric series included', async () => {
  const lab = await startInProcessLab({ WORKER_TTL_MS: 4000, POLL_PRESENCE_MS: 200 });
  const pull = bind<unknown, unknown>(lab.admin.raw, 'Pull');
  const metricsBytes = async (): Promise<number> => (await (await fetch(`http://127.0.0.1:${lab.metricsPort}/metrics`)).text()).length;
  const baseline = await metricsBytes();
  for (let start = 0; start < 10_000; start += 500) {
    const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => unary(pull, { workerId: `drive-by-${start + i}`, timeoutMs: 1 })));
    assert.ok(answers.every((a) => a.error === null));
  }
  const crowded = await metricsBytes();
  assert.ok(crowded > baseline * 20, `metrics grew only from ${baseline} to ${crowded} bytes`);
  await waitFor('the idle ids to be forgotten', async () => ((await lab.admin.stats()).workers.length === 0 ? true : undefined), 30_000);
  const after = await metricsBytes();
  assert.ok(after < baseline * 1.5, `/metrics is ${after} bytes after the TTL, against ${baseline} before`);
  assert.equal((await unary(pull, { workerId: 'newcomer', timeoutMs: 1 })).error, null, 'a new id is welcome again');
});

test('beyond MAX_WORKERS known ids a new one is refused with RESOURCE_EXHAUSTED, and counted', async () => {
  const lab = await startInProcessLab({ MAX_WORKERS: 100 });
  const pull = bind<unknown, unknown>(lab.admin.raw, 'Pull');
  const answers = await Promise.all(Array.from({ length: 150 }, (_, i) => unary(pull, { workerId: `id-${i}`, timeoutMs: 1 })));
  const refused = answers.flatMap((a) => (a.error ? [a.error] : []));
  assert.equal(refused.length, 50);
  assert.ok(refused.every((e) => e.code === grpc.status.RESOURCE_EXHAUSTED && /MAX_WORKERS/.test(e.details)));
  assert.equal(sum(await scrape(lab.metricsPort), 'sidecar_requests_refused_total', { reason: 'workers' }), 50);
  // A known id is still served.
  assert.equal((await unary(pull, { workerId: 'id-0', timeoutMs: 1 })).error, null);
});

/** An HTTP/2 connection that opens `calls` Pulls with HEADERS only and never sends their message. */
function halfOpenPulls(port: number, calls: number): { statuses: (string | undefined)[]; session: http2.ClientHttp2Session } {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  const statuses: (string | undefined)[] = [];
  for (let i = 0; i < calls; i++) {
    const stream = session.request({ ':method': 'POST', ':path': '/backlog.v1.Queue/Pull', 'content-type': 'application/grpc', te: 'trailers' }, { endStream: false });
    stream.on('error', () => undefined);
    stream.on('trailers', (trailers: http2.IncomingHttpHeaders) => { statuses.push(String(trailers['grpc-status'])); });
    stream.on('response', (headers: http2.IncomingHttpHeaders) => { if (headers['grpc-status'] !== undefined) statuses.push(String(headers['grpc-status'])); });
  }
  return { statuses, session };
}

test('a flood of connections and half-open calls is refused and timed out while a normal worker keeps being served', async () => {
  const lab = await startInProcessLab({ MAX_CONNECTIONS: 20, MAX_CONCURRENT_STREAMS: 10, FIRST_MESSAGE_TIMEOUT_MS: 500 });
  await lab.admin.publishMany(20_000, { payloadBytes: 10 });
  const normal = await lab.worker('normal', { DELIVERY_MODE: 'credit', PREFETCH: 1, PROCESSING_DELAY_MS: 5 });
  const acked = async (): Promise<number> => num(workerStats(await lab.admin.stats(), 'normal').acked);
  await waitFor('the normal worker to get going', async () => ((await acked()) >= 20 ? true : undefined));
  const windowMs = 2000;
  const b0 = await acked();
  await new Promise((r) => setTimeout(r, windowMs));
  const baseline = (await acked()) - b0;

  const floods = Array.from({ length: 60 }, () => halfOpenPulls(lab.grpcPort, 30));
  const f0 = await acked();
  await new Promise((r) => setTimeout(r, windowMs));
  const during = (await acked()) - f0;
  const metrics = await scrape(lab.metricsPort);
  for (const { session } of floods) session.destroy();

  assert.ok(during >= baseline * 0.3, `the normal worker acked ${during} during the flood against ${baseline} before`);
  assert.ok(sum(metrics, 'sidecar_requests_refused_total', { reason: 'connections' }) > 0, 'no connection was refused');
  assert.ok(sum(metrics, 'sidecar_requests_refused_total', { reason: 'first_message' }) > 0, 'no half-open call was timed out');
  const timedOut = floods.flatMap((f) => f.statuses).filter((s) => s === String(grpc.status.DEADLINE_EXCEEDED)).length;
  assert.ok(timedOut > 0, 'no half-open call was answered DEADLINE_EXCEEDED');
  await normal.stop();
});

test('/metrics is served at exactly GET /metrics, nothing else', async () => {
  const lab = await startInProcessLab();
  for (const path of ['/metrics?anything', '/metrics/', '/', '/debug']) {
    assert.equal((await fetch(`http://127.0.0.1:${lab.metricsPort}${path}`)).status, 404, path);
  }
  assert.equal((await fetch(`http://127.0.0.1:${lab.metricsPort}/metrics`)).status, 200);
});

const certs = mkdtempSync(join(tmpdir(), 'mtls-'));
after(() => { rmSync(certs, { recursive: true, force: true }); });

/** A CA, the sidecar's certificate and one client certificate per name, all signed by it (openssl, for this test only). */
function makeCertificates(clients: readonly string[]): { ca: string; cert: string; key: string; client: (name: string) => { cert: string; key: string } } {
  const path = (name: string): string => join(certs, name);
  const run = (...args: string[]): void => { execFileSync('openssl', args, { stdio: 'ignore' }); };
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=lab-ca', '-keyout', path('ca.key'), '-out', path('ca.pem'));
  const sign = (name: string, subject: string, san: string): void => {
    run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', path(`${name}.key`), '-out', path(`${name}.csr`));
    execFileSync('sh', ['-c', `printf 'subjectAltName=${san}\\n' > '${path(`${name}.ext`)}'`]);
    run('x509', '-req', '-in', path(`${name}.csr`), '-CA', path('ca.pem'), '-CAkey', path('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', path(`${name}.ext`), '-out', path(`${name}.pem`));
  };
  sign('sidecar', '/CN=localhost', 'IP:127.0.0.1,DNS:localhost');
  for (const name of clients) sign(name, `/CN=${name}`, `DNS:${name}`);
  return { ca: path('ca.pem'), cert: path('sidecar.pem'), key: path('sidecar.key'), client: (name) => ({ cert: path(`${name}.pem`), key: path(`${name}.key`) }) };
}

test('mutual TLS: no certificate, or a certificate for another worker id, is refused; a worker\'s own is served', async () => {
  const pki = makeCertificates(['w-good', 'w-other', 'ops']);
  const lab = await startInProcessLab({
    SIDECAR_TLS_CERT_FILE: pki.cert, SIDECAR_TLS_KEY_FILE: pki.key, SIDECAR_TLS_CLIENT_CA_FILE: pki.ca, SIDECAR_TLS_ADMIN_NAMES: 'ops',
  });
  const { Queue } = loadContract();
  const withCert = (name: string | undefined): QueueClient => {
    const c = name === undefined ? undefined : pki.client(name);
    const read = (f: string): Buffer => execFileSync('cat', [f]);
    return new Queue(lab.address, grpc.credentials.createSsl(read(pki.ca), c ? read(c.key) : null, c ? read(c.cert) : null), { 'grpc.ssl_target_name_override': 'localhost' });
  };
  const anonymous = withCert(undefined);
  const noCert = await unary(bind(anonymous, 'Pull'), { workerId: 'w-good', timeoutMs: 1 });
  assert.equal(noCert.error?.code, grpc.status.UNAVAILABLE, 'the TLS handshake needs a client certificate');
  const impostor = withCert('w-other');
  const wrongId = await unary(bind(impostor, 'Pull'), { workerId: 'w-good', timeoutMs: 1 });
  assert.equal(wrongId.error?.code, grpc.status.PERMISSION_DENIED);
  const notAdmin = await unary(bind(impostor, 'Publish'), { messages: [{}] });
  assert.equal(notAdmin.error?.code, grpc.status.PERMISSION_DENIED);

  const ops = withCert('ops');
  const published = await unary<unknown, { ids: string[] }>(bind(ops, 'Publish'), { messages: [{ id: 'secret' }] });
  assert.deepEqual(published.response?.ids, ['secret']);
  const good = pki.client('w-good');
  const worker = await lab.worker('w-good', { DELIVERY_MODE: 'poll', PROCESSING_DELAY_MS: 0, SIDECAR_TLS_CA_FILE: pki.ca, WORKER_TLS_CERT_FILE: good.cert, WORKER_TLS_KEY_FILE: good.key });
  await waitFor('the worker with its own certificate to be served', () => (worker.processedIds().includes('secret') ? true : undefined));
  for (const c of [anonymous, impostor, ops]) c.close();
});
