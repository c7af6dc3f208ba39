/**
 * The `rabbitmq` queue: a durable classic priority queue on a RabbitMQ
 * broker, with the sidecar as one consumer of it (manual acks, its own
 * prefetch). What the broker delivers waits in a local priority buffer until
 * the dispatcher takes it; the dispatcher's verdict goes upstream as it comes:
 * ack, nack with requeue, nack without (dead-lettered if the queue has a DLX).
 * docs/rabbitmq.md describes the behaviour; the points a reader trips over are
 * commented where they happen.
 *
 * One connection, three channels: deliveries and their acks, publishes with
 * confirms, and the ready count (a passive declare, on its own channel
 * because a failed one closes its channel).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { createBackoff } from '@backlog-lab/common/backoff';
import { nowUnixNano } from '@backlog-lab/common/clock';
import { errorMessage } from '@backlog-lab/common/errors';
import type { Logger } from '@backlog-lab/common/logger';
import { HIGHEST_PRIORITY, PRIORITY_LEVELS } from '@backlog-lab/common/priority';
import { redactUrl } from './amqp-url.ts';
import type { NewMessage, QueuedMessage } from './message.ts';
import { PriorityQueue } from './priority-queue.ts';
import type { MessageQueue, UpstreamStats } from './queue.ts';

export interface RabbitMqOptions {
  /** amqp:// or amqps://, with user and password; logged only with the password masked. */
  readonly url: string;
  readonly queueName: string;
  /** basic.qos for this sidecar's consumer: deliveries it may hold unacked (buffered + taken), 1..65535. */
  readonly prefetch: number;
  /** False: publish only, never consume (take() returns nothing). Default true. */
  readonly consume?: boolean;
  /** How often the broker's ready count is asked for (upstream().ready). Default 1000 ms. */
  readonly statsIntervalMs?: number;
  /** Reconnect backoff: first ceiling and cap, ms (full jitter, common/backoff.ts). Default 100 and 5000. */
  readonly reconnectBaseMs?: number;
  readonly reconnectCapMs?: number;
  /** A TCP connect or AMQP handshake that takes longer counts as a failed attempt. Default 10000 ms. */
  readonly connectTimeoutMs?: number;
}

/**
 * Header carrying the publish time in Unix ns (decimal string), written by
 * whoever publishes through the lab; the AMQP timestamp property has whole
 * seconds only.
 */
export const PUBLISHED_AT_HEADER = 'x-published-at-unix-ns';

/** Requeued ids remembered until they come back; more than this and the oldest is forgotten. */
const MAX_RETURNING = 100_000;

/** Thrown through `fatal` when the queue exists with arguments the sidecar cannot use. */
export class QueueArgumentsError extends Error {
  override readonly name = 'QueueArgumentsError';
}

interface Session {
  readonly connection: ChannelModel;
  readonly consumer: Channel;
  readonly publisher: ConfirmChannel;
  stats: Channel | undefined;
  consumerTag: string;
  /** False from the moment the connection or a channel is lost: settling its messages is then a no-op. */
  open: boolean;
  /** Resolves once when the session is lost (or closed). */
  readonly lost: Promise<Error | undefined>;
  lose(error: Error | undefined): void;
}

const BUFFERED = 0;
const TAKEN = 1;
const SETTLED = 2;

/** A delivery as the dispatcher sees it (QueuedMessage), plus what settling it upstream needs. */
class Delivery implements QueuedMessage {
  readonly id: string;
  readonly priority: number;
  readonly payload: Buffer;
  readonly publishedAtUnixNano: number;
  readonly publishedAtMs: number;
  readonly seq: number;
  enqueuedAtUnixNano: bigint;
  attempts: number;
  firstTraceContext: Record<string, string> | undefined = undefined;
  readonly session: Session;
  readonly raw: ConsumeMessage;
  state: typeof BUFFERED | typeof TAKEN | typeof SETTLED = BUFFERED;

  constructor(session: Session, raw: ConsumeMessage, id: string, priority: number, publishedAtUnixNano: number, publishedAtMs: number, seq: number, enqueuedAtUnixNano: bigint, attempts: number) {
    this.session = session;
    this.raw = raw;
    this.id = id;
    this.priority = priority;
    this.payload = raw.content;
    this.publishedAtUnixNano = publishedAtUnixNano;
    this.publishedAtMs = publishedAtMs;
    this.seq = seq;
    this.enqueuedAtUnixNano = enqueuedAtUnixNano;
    this.attempts = attempts;
  }
}

export function createRabbitMqQueue(options: RabbitMqOptions, logger: Logger): MessageQueue {
  const { url, queueName, prefetch } = options;
  const consume = options.consume ?? true;
  const log = logger.child({ queue: queueName, broker: redactUrl(url) });
  const statsIntervalMs = options.statsIntervalMs ?? 1_000;
  const backoff = createBackoff(options.reconnectBaseMs ?? 100, options.reconnectCapMs ?? 5_000);
  const stopping = new AbortController();
  // A function, not the property: a narrowing of it would not survive an await.
  const stopped = (): boolean => stopping.signal.aborted;
  let buffer = new PriorityQueue<Delivery>(PRIORITY_LEVELS);
  /** Payload bytes in the buffer. */
  let bufferedBytes = 0;
  const listeners: (() => void)[] = [];
  let session: Session | undefined;
  /** Connected and consuming (publish-only: connected): what isReady() says. */
  let consuming = false;
  let running: Promise<void> | undefined;
  /** Held unacked upstream in the current session: buffered + taken and not settled. */
  let held = 0;
  let brokerReady = 0;
  let seq = 0;
  /**
   * Requeued here and not back yet: id -> its place and attempts. RabbitMQ
   * puts a requeued message back at its old position, but it arrives here
   * after what this sidecar had already buffered; its old seq puts it back
   * before those. Classic queues do not count deliveries, so the attempts
   * are kept here too.
   */
  const returning = new Map<string, { seq: number; attempts: number }>();
  let rejectFatal: (error: Error) => void = () => undefined;
  const fatal = new Promise<never>((_, reject) => { rejectFatal = reject; });
  fatal.catch(() => undefined); // observed by the sidecar; not an unhandled rejection here

  let notifyScheduled = false;
  const notify = (): void => {
    notifyScheduled = false;
    for (const listener of listeners) listener();
  };
  /** Deliveries come in bursts (one socket read, many frames): one notification per burst. */
  const scheduleNotify = (): void => {
    if (notifyScheduled) return;
    notifyScheduled = true;
    queueMicrotask(notify);
  };

  // Arrival time, read once per burst of deliveries.
  let arrivalNs: bigint | undefined;
  const arrival = (): bigint => {
    if (arrivalNs === undefined) {
      arrivalNs = nowUnixNano();
      queueMicrotask(() => { arrivalNs = undefined; });
    }
    return arrivalNs;
  };
  // Messages of one Publish batch share their header: parse it once.
  let lastHeader: string | undefined;
  let lastHeaderMs = 0;
  let lastHeaderNs = 0n;

  const onDelivery = (s: Session, raw: ConsumeMessage | null): void => {
    if (!s.open) return;
    if (raw === null) {
      // basic.cancel from the broker: the queue was deleted (or its node went away).
      s.lose(new Error('the broker cancelled the consumer (was the queue deleted?)'));
      return;
    }
    const props = raw.properties;
    const id = typeof props.messageId === 'string' && props.messageId !== '' ? props.messageId : `amqp-${randomUUID()}`;
    const p: unknown = props.priority;
    // A foreign publisher may use any 0..255; the queue itself caps at x-max-priority.
    const priority = typeof p === 'number' && p > 0 ? Math.min(Math.floor(p), HIGHEST_PRIORITY) : 0;
    const header: unknown = props.headers?.[PUBLISHED_AT_HEADER];
    let publishedNs: number;
    let publishedMs: number;
    let publishedBig: bigint | undefined;
    if (typeof header === 'string' && (header === lastHeader || /^\d{7,20}$/.test(header))) {
      if (header !== lastHeader) {
        lastHeader = header;
        lastHeaderMs = Number(header.slice(0, -6));
        lastHeaderNs = BigInt(header);
      }
      publishedNs = Number(lastHeaderNs);
      publishedMs = lastHeaderMs;
      publishedBig = lastHeaderNs;
    } else if (typeof props.timestamp === 'number' && props.timestamp > 0) {
      publishedNs = Math.floor(props.timestamp) * 1e9;
      publishedMs = Math.floor(props.timestamp) * 1000;
    } else {
      const now = arrival();
      publishedNs = Number(now);
      publishedMs = Number(now / 1_000_000n);
    }
    // The broker says only whether a message was delivered before; attempts
    // counted here when it was requeued here are the better number.
    let attempts = raw.fields.redelivered ? 1 : 0;
    const back = returning.size > 0 ? returning.get(id) : undefined;
    if (back !== undefined) returning.delete(id);
    if (back !== undefined && back.attempts > attempts) attempts = back.attempts;
    // Queue wait counts from the publish for a first delivery, from the arrival here for a redelivery.
    const enqueuedAt = attempts === 0 && publishedBig !== undefined ? publishedBig : arrival();
    const delivery = new Delivery(s, raw, id, priority, publishedNs, publishedMs, back?.seq ?? seq++, enqueuedAt, attempts);
    held++;
    if (back === undefined) buffer.push(priority, delivery);
    else buffer.putBack(priority, [delivery]);
    bufferedBytes += delivery.payload.length;
    scheduleNotify();
  };

  /** A message can be settled once, while its session lasts; after that the broker redelivers it anyway. */
  const settle = (message: QueuedMessage): Delivery | undefined => {
    if (!(message instanceof Delivery) || message.state !== TAKEN) return undefined;
    message.state = SETTLED;
    if (!message.session.open) return undefined;
    held--;
    return message;
  };

  const openSession = async (): Promise<Session> => {
    const connection = await connect(url, {
      timeout: options.connectTimeoutMs ?? 10_000,
      noDelay: true,
      clientProperties: { connection_name: `backlog-lab sidecar (${queueName})` },
    });
    try {
      let lose: (error: Error | undefined) => void = () => undefined;
      const lost = new Promise<Error | undefined>((resolve) => { lose = resolve; });
      const consumer = await connection.createChannel();
      const publisher = await connection.createConfirmChannel();
      const s: Session = { connection, consumer, publisher, stats: undefined, consumerTag: '', open: true, lost, lose: () => undefined };
      s.lose = (error) => {
        if (!s.open) return;
        s.open = false;
        lose(error);
      };
      connection.on('error', (error: Error) => { s.lose(error); });
      connection.on('close', (error?: Error) => { s.lose(error ?? new Error('connection closed')); });
      connection.on('blocked', (reason: string) => { log.warn('RabbitMQ blocks publishing (a resource alarm)', { reason }); });
      connection.on('unblocked', () => { log.info('RabbitMQ publishes again'); });
      for (const channel of [consumer, publisher]) {
        channel.on('error', (error: Error) => { s.lose(error); });
        channel.on('close', () => { s.lose(new Error('channel closed')); });
      }
      const declared = await consumer.assertQueue(queueName, {
        durable: true,
        arguments: { 'x-queue-type': 'classic', 'x-max-priority': HIGHEST_PRIORITY },
      });
      brokerReady = declared.messageCount;
      if (!consume) return s;
      // Without `global`, RabbitMQ applies the limit to each consumer started after it.
      await consumer.prefetch(prefetch);
      // Registered before basic.consume-ok returns: a delivery can follow it in the same read.
      const ok = await consumer.consume(queueName, (raw) => { onDelivery(s, raw); }, { noAck: false });
      s.consumerTag = ok.consumerTag;
      return s;
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  };

  /** Connects, consumes until the session is lost, reconnects; until close() or a fatal error. */
  const run = async (): Promise<void> => {
    let attempt = 0;
    while (!stopped()) {
      attempt++;
      let s: Session;
      try {
        s = await openSession();
      } catch (error) {
        if (isPreconditionFailed(error)) {
          const detail = brokerText(error);
          const fatalError = new QueueArgumentsError(`queue '${queueName}' exists with other arguments (${detail}); delete it or set QUEUE_NAME`);
          log.error('cannot use the queue', { error: fatalError.message });
          rejectFatal(fatalError);
          return;
        }
        const delayMs = backoff.next();
        log.warn('cannot connect to RabbitMQ; retrying', { attempt, retry_in_ms: delayMs, error: maskPassword(errorMessage(error), url) });
        await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
        continue;
      }
      if (stopped()) {
        await s.connection.close().catch(() => undefined);
        return;
      }
      session = s;
      consuming = true;
      attempt = 0;
      backoff.reset();
      if (consume) log.info('consuming from RabbitMQ', { prefetch, ready: brokerReady });
      else log.info('connected to RabbitMQ; publishing only (QUEUE_CONSUME=false)', { ready: brokerReady });
      scheduleNotify();
      const error = await s.lost;
      consuming = false;
      // What was buffered is unacked upstream: the broker redelivers it. Taken messages are settled as no-ops.
      buffer = new PriorityQueue<Delivery>(PRIORITY_LEVELS);
      bufferedBytes = 0;
      held = 0;
      if (stopped()) return;
      log.warn('lost RabbitMQ; reconnecting', { error: maskPassword(error ? errorMessage(error) : 'closed', url) });
      await s.connection.close().catch(() => undefined);
      const delayMs = backoff.next();
      await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  };

  let statsInFlight = false;
  const refreshStats = async (): Promise<void> => {
    const s = session;
    if (statsInFlight || !s?.open) return;
    statsInFlight = true;
    try {
      if (s.stats === undefined) {
        const channel = await s.connection.createChannel();
        channel.on('error', () => undefined);
        channel.on('close', () => { if (s.stats === channel) s.stats = undefined; });
        s.stats = channel;
      }
      brokerReady = (await s.stats.checkQueue(queueName)).messageCount;
    } catch (error) {
      if (isOpen(s)) log.debug('could not read the queue\'s ready count', { error: errorMessage(error) });
    } finally {
      statsInFlight = false;
    }
  };
  let statsTimer: NodeJS.Timeout | undefined;

  return {
    kind: 'rabbitmq',
    fatal,
    start() {
      running ??= run();
      statsTimer ??= setInterval(() => { void refreshStats(); }, statsIntervalMs).unref();
      return Promise.resolve();
    },
    async close() {
      stopping.abort();
      clearInterval(statsTimer);
      const s = session;
      if (s?.open) {
        try {
          // Deliveries already sent arrive before cancel-ok, so the buffer is complete after it.
          if (s.consumerTag !== '') await s.consumer.cancel(s.consumerTag);
        } catch {
          // The channel went meanwhile: the broker requeues everything anyway.
        }
        // Back to the broker in arrival order: they return to their old places.
        for (let m = buffer.shift(); m !== undefined; m = buffer.shift()) {
          m.state = SETTLED;
          if (m.session.open) m.session.consumer.nack(m.raw, false, true);
        }
        bufferedBytes = 0;
        held = 0;
        await s.publisher.waitForConfirms().catch(() => undefined);
        s.lose(undefined);
        await s.connection.close().catch(() => undefined);
      }
      await running;
    },
    isReady: () => consuming,
    publish(batch: readonly NewMessage[]) {
      const s = session;
      if (!consuming || s === undefined || !s.open) return Promise.reject(new Error('not connected to RabbitMQ'));
      if (batch.length === 0) return Promise.resolve();
      const now = nowUnixNano();
      // One header object and timestamp per batch, as the memory queue shares one publish time per batch.
      const headers = { [PUBLISHED_AT_HEADER]: now.toString() };
      const timestamp = Number(now / 1_000_000_000n);
      return new Promise<void>((resolve, reject) => {
        let unconfirmed = batch.length;
        let failed = false;
        const fail = (why: string): void => {
          if (failed) return;
          failed = true;
          reject(new Error(`RabbitMQ did not confirm the batch (${why}): some of its ${batch.length} messages may be queued`));
        };
        const confirmed = (error: unknown): void => {
          if (error) fail(errorMessage(error));
          else if (--unconfirmed === 0 && !failed) resolve();
        };
        try {
          for (const m of batch) {
            s.publisher.sendToQueue(queueName, m.payload, { persistent: true, priority: m.priority, messageId: m.id, timestamp, headers }, confirmed);
          }
        } catch (error) {
          // The channel closed under the loop; confirms of what went out may still come, but the batch failed.
          fail(errorMessage(error));
        }
      });
    },
    take() {
      const m = buffer.shift();
      if (m !== undefined) {
        m.state = TAKEN;
        bufferedBytes -= m.payload.length;
      }
      return m;
    },
    get size() {
      return buffer.size;
    },
    get bytes() {
      return bufferedBytes;
    },
    depth: (priority) => buffer.depth(priority),
    oldestPublishedAtMs() {
      let oldest: number | undefined;
      for (let p = 0; p < PRIORITY_LEVELS; p++) {
        const head = buffer.peek(p);
        if (head && (oldest === undefined || head.publishedAtMs < oldest)) oldest = head.publishedAtMs;
      }
      return oldest;
    },
    ack(message) {
      const m = settle(message);
      if (m) m.session.consumer.ack(m.raw);
    },
    requeue(messages) {
      // In arrival order: the broker may redeliver each as soon as it is back,
      // so the first must go back first to keep their order.
      const settled = messages.map(settle).filter((m): m is Delivery => m !== undefined).sort((a, b) => a.seq - b.seq);
      for (const m of settled) {
        returning.set(m.id, { seq: m.seq, attempts: m.attempts });
        if (returning.size > MAX_RETURNING) returning.delete(returning.keys().next().value as string);
        m.session.consumer.nack(m.raw, false, true);
      }
    },
    drop(message) {
      const m = settle(message);
      if (m) m.session.consumer.nack(m.raw, false, false);
    },
    upstream(): UpstreamStats {
      return { kind: 'rabbitmq', ready: brokerReady, unacked: held, connected: consuming };
    },
    onAvailable(listener) {
      listeners.push(listener);
    },
  };
}

/** A function, not the property: a narrowing of it would not survive an await. */
function isOpen(s: Session): boolean {
  return s.open;
}

/** 406 PRECONDITION_FAILED on the queue declaration: the queue exists with other arguments. */
function isPreconditionFailed(error: unknown): boolean {
  return error instanceof Error && (error as Error & { code?: unknown }).code === 406;
}

/** The broker's own words from an amqplib error: `... with message "PRECONDITION_FAILED - inequivalent arg ..."`. */
function brokerText(error: unknown): string {
  const message = errorMessage(error);
  const match = /with message "(?:[A-Z_]+ - )?(.*)"/.exec(message);
  return match?.[1] ?? message;
}

/** An error text with the URL's password masked, should a library ever quote it. */
function maskPassword(text: string, url: string): string {
  let password: string;
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return text;
  }
  return password === '' ? text : text.split(password).join('***');
}
