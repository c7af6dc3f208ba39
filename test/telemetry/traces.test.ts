import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scrape, sum } from '@backlog-lab/harness/prometheus-text';
import { waitFor } from '@backlog-lab/harness/admin-client';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@backlog-lab/harness/otlp-receiver';
import { num, startProcessLab } from '../support/process-lab.ts';

const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

/** A service's environment exporting its spans to the test's receiver, quickly, plus whatever else the test sets. */
function exportingTo(receiver: OtlpReceiver, service: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: service,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    ...extra,
  };
}

test('each message is one exported trace: send -> backlog wait -> process, and the backlog span matches the histogram exemplar', async () => {
  const receiver = await startOtlpReceiver();
  try {
    // The per-message calls' RPC spans too, so every call below has its span.
    const otel = (service: string): Record<string, string> => exportingTo(receiver, service, { TRACE_MESSAGE_RPCS: 'true' });
    const lab = await startProcessLab(otel('sidecar'));
    const workers = await Promise.all([
      lab.worker('t-stream', { ...otel('worker'), DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 20 }),
      lab.worker('t-credit', { ...otel('worker'), DELIVERY_MODE: 'credit', PROCESSING_DELAY_MS: 20 }),
      lab.worker('t-poll', { ...otel('worker'), DELIVERY_MODE: 'poll', PROCESSING_DELAY_MS: 20 }),
    ]);
    await waitFor('three connected workers', async () => ((await lab.admin.stats()).workers.filter((w) => w.connected).length === 3 ? true : undefined));
    const ids = await lab.admin.publishMany(12, { priority: 2 });
    await waitFor('all processed', async () => (num((await lab.admin.stats()).totals?.acked) === ids.length ? true : undefined));

    // The worker's latest backlog observation per bucket carries its trace id.
    const exemplars = (await Promise.all(workers.map((w) => scrape(w.metricsPort, true))))
      .flat()
      .filter((s) => s.name === 'worker_client_backlog_seconds_bucket' && s.exemplar);
    assert.ok(exemplars.length > 0, 'no trace_id exemplar on worker_client_backlog_seconds');

    // A graceful stop flushes every span, including the streams' own.
    await Promise.all(workers.map((w) => w.stop()));
    await lab.sidecar.stop();

    for (const { exemplar } of exemplars) {
      const traceId = exemplar?.labels.trace_id ?? '';
      const trace = receiver.spans.filter((s) => s.traceId === traceId);
      const send = trace.find((s) => s.name === 'send backlog.v1.Queue');
      const backlog = trace.find((s) => s.name === 'backlog wait');
      const process = trace.find((s) => s.name === 'process backlog.v1.Queue');
      assert.ok(send && backlog && process, `trace ${traceId} has ${trace.map((s) => s.name).join(', ')}`);
      assert.equal(send.service, 'sidecar');
      assert.equal(send.kind, SPAN_KIND.producer);
      assert.equal(send.parentSpanId, '');
      assert.equal(backlog.service, 'worker');
      assert.equal(backlog.parentSpanId, send.spanId);
      assert.equal(process.kind, SPAN_KIND.consumer);
      assert.equal(process.parentSpanId, backlog.spanId);
      const messageId = send.attributes['messaging.message.id'];
      assert.ok(ids.includes(String(messageId)));
      for (const span of [send, backlog, process]) {
        assert.equal(span.attributes['messaging.system'], 'backlog-lab');
        assert.equal(span.attributes['messaging.destination.name'], 'backlog.v1.Queue');
        assert.equal(span.attributes['messaging.message.id'], messageId);
        assert.equal(span.attributes['backlog.priority'], 2);
        assert.equal(span.attributes['backlog.delivery_attempt'], 1);
      }
      assert.equal(send.attributes['messaging.operation.type'], 'send');
      assert.equal(process.attributes['messaging.operation.type'], 'process');
      assert.equal(process.attributes['backlog.worker_id'], backlog.attributes['backlog.worker_id']);
      // Backlog span: dispatch -> start of processing, the same interval the histogram observed.
      const spanSeconds = Number(backlog.endNs - backlog.startNs) / 1e9;
      assert.ok(Math.abs(spanSeconds - (exemplar?.value ?? -1)) < 2e-6, `span ${spanSeconds}s vs exemplar ${exemplar?.value}s`);
      assert.ok(process.startNs >= backlog.endNs);
    }

    // The gRPC instrumentation's own spans (TRACE_MESSAGE_RPCS=true): unary RPCs and the streams, both sides.
    const rpcSpans = new Set(receiver.spans.map((s) => `${s.service} ${s.kind} ${s.name}`));
    for (const expected of [
      'sidecar 2 grpc.backlog.v1.Queue/Publish',
      'sidecar 2 grpc.backlog.v1.Queue/Pull',
      'sidecar 2 grpc.backlog.v1.Queue/Ack',
      'sidecar 2 grpc.backlog.v1.Queue/Receipt',
      'sidecar 2 grpc.backlog.v1.Queue/Subscribe',
      'sidecar 2 grpc.backlog.v1.Queue/Consume',
      'worker 3 grpc.backlog.v1.Queue/Pull',
      'worker 3 grpc.backlog.v1.Queue/Receipt',
      'worker 3 grpc.backlog.v1.Queue/Subscribe',
      'worker 3 grpc.backlog.v1.Queue/Consume',
    ]) {
      assert.ok(rpcSpans.has(expected), `missing span: ${expected}`);
    }
    // Every one of the 12 messages got its own trace.
    const sendTraces = new Set(receiver.spans.filter((s) => s.name === 'send backlog.v1.Queue').map((s) => s.traceId));
    assert.equal(sendTraces.size, ids.length);
  } finally {
    await receiver.close();
  }
});

test('sampled at 50 %: every sampled message keeps its whole trace, and a worker whose sampler ignores the parent still traces the rest', async () => {
  const receiver = await startOtlpReceiver();
  try {
    const otel = (service: string, sampler: string): Record<string, string> => exportingTo(receiver, service, { OTEL_TRACES_SAMPLER: sampler, OTEL_TRACES_SAMPLER_ARG: '0.5' });
    const lab = await startProcessLab(otel('sidecar', 'parentbased_traceidratio'));
    // The worker follows the sidecar's decision (as shipped); the other
    // samples every span whatever its parent says, so it must not skip any.
    const follower = await lab.worker('follows-parent', { ...otel('follower', 'parentbased_traceidratio'), DELIVERY_MODE: 'credit', PROCESSING_DELAY_MS: 5 });
    const always = await lab.worker('always-on', { ...otel('always', 'always_on'), DELIVERY_MODE: 'credit', PROCESSING_DELAY_MS: 5 });
    await waitFor('two connected workers', async () => ((await lab.admin.stats()).workers.filter((w) => w.connected).length === 2 ? true : undefined));
    const ids = await lab.admin.publishMany(60, { priority: 1 });
    await waitFor('all processed', async () => (num((await lab.admin.stats()).totals?.acked) === ids.length ? true : undefined));
    const took = async (w: typeof follower): Promise<number> => sum(await scrape(w.metricsPort), 'worker_messages_processed_total');
    const [followerTook, alwaysTook] = [await took(follower), await took(always)];
    await Promise.all([follower.stop(), always.stop()]);
    await lab.sidecar.stop();

    const messageSpans = (service: string, name: string): ReceivedSpan[] => receiver.spans.filter((s) => s.service === service && s.name === name);
    const sends = new Map(messageSpans('sidecar', 'send backlog.v1.Queue').map((s) => [String(s.attributes['messaging.message.id']), s]));
    assert.ok(sends.size > 0 && sends.size < ids.length, `${sends.size} of ${ids.length} sampled: the ratio sampler did not run`);
    for (const service of ['follower', 'always']) {
      const processed = messageSpans(service, 'process backlog.v1.Queue');
      const backlogs = new Map(messageSpans(service, 'backlog wait').map((s) => [s.spanId, s]));
      assert.ok(processed.length > 0, `${service} exported no process span`);
      for (const process of processed) {
        const backlog = backlogs.get(process.parentSpanId);
        assert.ok(backlog, `${service}: process span without its backlog wait`);
        const send = sends.get(String(process.attributes['messaging.message.id']));
        if (send !== undefined) {
          assert.equal(backlog.parentSpanId, send.spanId, `${service}: a sampled message's backlog wait is not the send span's child`);
          assert.equal(backlog.traceId, send.traceId);
        } else {
          assert.equal(service, 'always', "the follower exported spans of a message the sidecar did not sample");
        }
      }
    }
    // Every message sampled at the sidecar has its worker spans, on whichever worker took it.
    const tracedAtWorkers = new Set(receiver.spans.filter((s) => s.name === 'process backlog.v1.Queue').map((s) => String(s.attributes['messaging.message.id'])));
    for (const id of sends.keys()) assert.ok(tracedAtWorkers.has(id), `sampled message ${id} has no process span`);
    // The worker that ignores the parent traced every message it took; the
    // follower only those the sidecar sampled.
    assert.equal(messageSpans('always', 'process backlog.v1.Queue').length, alwaysTook);
    assert.ok(messageSpans('follower', 'process backlog.v1.Queue').length < followerTook, 'the follower traced every message');
  } finally {
    await receiver.close();
  }
});

test('by default the per-message calls have no RPC spans; the streams, Publish and every message\'s trace keep theirs', async () => {
  const receiver = await startOtlpReceiver();
  try {
    const otel = (service: string): Record<string, string> => exportingTo(receiver, service);
    const lab = await startProcessLab(otel('sidecar'));
    const workers = await Promise.all([
      lab.worker('d-stream', { ...otel('worker'), DELIVERY_MODE: 'stream', PROCESSING_DELAY_MS: 5 }),
      lab.worker('d-poll', { ...otel('worker'), DELIVERY_MODE: 'poll', PROCESSING_DELAY_MS: 5 }),
    ]);
    await waitFor('two connected workers', async () => ((await lab.admin.stats()).workers.filter((w) => w.connected).length === 2 ? true : undefined));
    const ids = await lab.admin.publishMany(20, { priority: 1 });
    await waitFor('all processed', async () => (num((await lab.admin.stats()).totals?.acked) === ids.length ? true : undefined));
    const perWorker = await Promise.all(workers.map(async (w) => sum(await scrape(w.metricsPort), 'worker_messages_processed_total')));
    assert.ok(perWorker.every((n) => n > 0), `both workers must take messages: ${perWorker.join(', ')}`);
    await Promise.all(workers.map((w) => w.stop()));
    await lab.sidecar.stop();

    const rpc = new Set(receiver.spans.filter((s) => s.name.startsWith('grpc.')).map((s) => `${s.service} ${s.name}`));
    for (const method of ['Pull', 'Ack', 'ExtendLease', 'Receipt']) {
      for (const service of ['sidecar', 'worker']) assert.ok(!rpc.has(`${service} grpc.backlog.v1.Queue/${method}`), `${service} exported a ${method} span`);
    }
    for (const kept of ['sidecar grpc.backlog.v1.Queue/Publish', 'sidecar grpc.backlog.v1.Queue/Subscribe', 'worker grpc.backlog.v1.Queue/Subscribe']) {
      assert.ok(rpc.has(kept), `missing span: ${kept}`);
    }
    // Every message still has its own whole trace.
    const processed = receiver.spans.filter((s) => s.name === 'process backlog.v1.Queue');
    assert.deepEqual(new Set(processed.map((s) => String(s.attributes['messaging.message.id']))), new Set(ids));
  } finally {
    await receiver.close();
  }
});
