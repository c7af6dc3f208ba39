/**
 * A RabbitMQ node of its own, for tests and the bench: Debian's
 * rabbitmq-server (tools/install-test-deps.sh installs it), never the system
 * service. Each node gets free ports (AMQP, management HTTP, Prometheus,
 * Erlang distribution and its own epmd), and its config, data and logs under
 * one temp dir that stop() removes.
 *
 *   const broker = await startRabbitMq();
 *   try { ... broker.url ... } finally { await broker.stop(); }
 *
 * No stray processes: the node runs in a process group of its own with a
 * watchdog that kills the whole group as soon as the pipe from this process
 * closes, which the kernel does however this process ends (a failed test, a
 * crash, SIGKILL). stop() and kill() kill the group at once; the beam's
 * helpers (erl_child_setup, inet_gethost) exit when the beam does. Only a
 * parent killed outright leaves something: the temp dir (the watchdog cannot
 * tell that end from a restart, which needs the data).
 *
 * Start-up takes about 5 s on the project's 2-core machine, nearly all of it
 * RabbitMQ's own boot (it loads every module of every application to find its
 * boot steps and feature flags). What is skipped: Cuttlefish (the config is a
 * classic Erlang-terms file, not rabbitmq.conf), and a graceful shutdown where
 * nothing needs one (stop() removes the data anyway; a graceful stop of a node
 * with the management plugin takes 7-8 s).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';

/** The broker script itself; /usr/sbin/rabbitmq-server is a wrapper that switches to the rabbitmq user. */
export const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const RABBITMQCTL = '/usr/lib/rabbitmq/bin/rabbitmqctl';
const execFileAsync = promisify(execFile);

export interface RabbitMqServerOptions {
  /** How long start-up (and each restart) may take; a loaded machine needs more than the usual 5 s. */
  readonly startTimeoutMs?: number;
}

export interface RabbitMqServer {
  /** amqp://guest:guest@127.0.0.1:<amqpPort> (guest may log in over loopback). */
  readonly url: string;
  readonly amqpPort: number;
  /** The management plugin's HTTP API and UI (user guest, password guest). */
  readonly managementPort: number;
  /** The rabbitmq_prometheus plugin's /metrics. */
  readonly prometheusPort: number;
  readonly nodeName: string;
  /** Its config, data (`data/`) and logs (`log/`); stop() removes it. */
  readonly dir: string;
  /** Its running processes (the beam, epmd, the broker script, the beam's helpers), for CPU time and signals. */
  pids(): number[];
  /** Kills the node and removes its directories (nothing is kept, so nothing needs a graceful stop). */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: the data stays, and restart() recovers it. */
  kill(): Promise<void>;
  /**
   * Stops the node gracefully (SIGTERM; the broker closes its connections
   * with CONNECTION_FORCED) unless it is down already, then starts it again
   * on the same ports with the same data: durable queues and persistent
   * messages survive.
   */
  restart(): Promise<void>;
  /**
   * Syncs the node's metadata log (queue declarations, bindings) to disk.
   * RabbitMQ 3.10 answers a durable queue's declare-ok before its record
   * reaches the disk: killed within about a second of the declaration, the
   * node can come back without the queue, and so without its confirmed
   * persistent messages (2 of 8 here, at 0.3 s). A crash test that means to
   * test what happens to the messages, not to a queue declared a moment
   * earlier, calls this before kill().
   */
  syncMetadata(): Promise<void>;
  /**
   * A call to the management API as guest, e.g. `management('/api/queues/%2F/backlog-lab')`;
   * resolves with the parsed answer (undefined when it has none), rejects on an HTTP error.
   */
  management(path: string, request?: { readonly method: 'PUT' | 'DELETE'; readonly body?: unknown }): Promise<unknown>;
  /**
   * What the broker itself reports for one queue of the default vhost (the
   * management API, which this node refreshes every 500 ms): what its UI and
   * a queue-length autoscaler see. Undefined while there is no such queue or
   * its counts have not been collected yet.
   */
  queueCounts(name: string): Promise<QueueCounts | undefined>;
}

/** The broker's counts for one queue. */
export interface QueueCounts {
  /** Waiting in the broker for a consumer. */
  readonly ready: number;
  /** Delivered to a consumer (a sidecar) and not acknowledged yet. */
  readonly unacked: number;
  readonly consumers: number;
}

/** Nodes still running: killed if this process exits without stopping them. */
const live = new Set<() => void>();
process.once('exit', () => {
  for (const kill of live) kill();
});

/**
 * fd 3 keeps the pipe from the harness open in the watchdog only; `kill -KILL
 * 0` takes the whole process group (epmd, the broker script, the beam). epmd
 * is the node's own, on its own port, so nothing outlives the node (the beam
 * would otherwise start a shared one as a daemon that stays behind).
 */
const LAUNCH_SCRIPT = `
exec 3<&0 </dev/null
(cat <&3 >/dev/null; kill -KILL 0) &
exec 3<&-
epmd -port "$ERL_EPMD_PORT" &
i=0
until epmd -port "$ERL_EPMD_PORT" -names >/dev/null 2>&1; do
  i=$((i + 1)); [ "$i" -lt 250 ] || { echo "epmd did not start" >&2; exit 1; }
  sleep 0.02
done
exec "$RABBITMQ_SERVER"
`;

export async function startRabbitMq(options: RabbitMqServerOptions = {}): Promise<RabbitMqServer> {
  if (!existsSync(RABBITMQ_SERVER)) {
    throw new Error(`${RABBITMQ_SERVER} is missing: run tools/install-test-deps.sh (Debian package rabbitmq-server)`);
  }
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const { amqpPort, managementPort, prometheusPort, distPort, epmdPort } = await nodePorts();
  const nodeName = `lab-${amqpPort}@localhost`;
  const dir = mkdtempSync(join(tmpdir(), 'rabbitmq-'));
  const logDir = join(dir, 'log');
  mkdirSync(logDir);
  mkdirSync(join(dir, 'data'));
  const configFile = join(dir, 'rabbitmq.config');
  writeFileSync(configFile, `[
 {rabbit, [
   {tcp_listeners, [{"127.0.0.1", ${amqpPort}}]},
   %% Classic queue storage v2, the only one RabbitMQ 4 has (Debian's 3.10 defaults to v1).
   {classic_queue_default_version, 2},
   %% Queues report their message counts this often (ms; default 5000) ...
   {collect_statistics_interval, 500}
 ]},
 %% ... and aggregated for the management API this often (the smallest sample interval, s; default 5).
 {rabbitmq_management_agent, [{sample_retention_policies, [{global, [{605, 1}]}, {basic, [{605, 1}]}, {detailed, [{605, 1}]}]}]},
 {rabbitmq_management, [{tcp_config, [{ip, "127.0.0.1"}, {port, ${managementPort}}]}]},
 {rabbitmq_prometheus, [{tcp_config, [{ip, "127.0.0.1"}, {port, ${prometheusPort}}]}]},
 {kernel, [{inet_dist_use_interface, {127, 0, 0, 1}}]}
].
`);
  writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_management,rabbitmq_prometheus].\n');
  // Sourced by the broker script instead of /etc/rabbitmq/rabbitmq-env.conf.
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');

  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Nothing of a RabbitMQ or Erlang set-up this process runs in may leak into the node.
    if (value !== undefined && !/^(RABBITMQ_|ERL_)/.test(key)) env[key] = value;
  }
  Object.assign(env, {
    RABBITMQ_SERVER,
    HOME: dir, // the Erlang cookie is created here
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: configFile,
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(dir, 'data'),
    RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, 'plugins-expand'),
    RABBITMQ_LOG_BASE: logDir,
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
  });

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output: string[] = [];
  let removed = false;

  const killGroup = (): void => {
    if (child?.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
  };
  /**
   * Waits until no process of the node is left but zombies (which hold no
   * port or file; the init process reaps them when it gets to it).
   */
  const groupGone = async (): Promise<void> => {
    await exited;
    for (let i = 0; i < 400 && nodeProcesses(nodeName).length > 0; i++) await sleep(25);
  };
  const cleanup = (): void => {
    killGroup();
    if (!removed) rmSync(dir, { recursive: true, force: true });
    removed = true;
  };

  const launch = async (): Promise<void> => {
    output = [];
    const proc = spawn('/bin/sh', ['-c', LAUNCH_SCRIPT], { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => { resolve(); }));
    for (const stream of [proc.stdout, proc.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        output.push(chunk);
        if (output.length > 200) output.shift();
      });
    }
    proc.stdin.on('error', () => undefined);
    await waitForAmqp(amqpPort, startTimeoutMs, exited, () => describeFailure(nodeName, logDir, output));
  };

  live.add(cleanup);
  try {
    await launch();
  } catch (error) {
    live.delete(cleanup);
    cleanup();
    throw error;
  }

  const auth = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
  return {
    url: `amqp://guest:guest@127.0.0.1:${amqpPort}`,
    amqpPort,
    managementPort,
    prometheusPort,
    nodeName,
    dir,
    pids: () => nodeProcesses(nodeName),
    async stop() {
      killGroup();
      await groupGone();
      live.delete(cleanup);
      cleanup();
    },
    async kill() {
      killGroup();
      await groupGone();
    },
    async restart() {
      if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        // The broker script turns SIGTERM into a graceful stop of the beam and exits after it.
        process.kill(child.pid, 'SIGTERM');
        const timer = setTimeout(killGroup, 30_000);
        await exited;
        clearTimeout(timer);
      }
      // epmd and the watchdog are still there.
      killGroup();
      await groupGone();
      await launch();
    },
    async syncMetadata() {
      // rabbitmqctl reaches the node through its own epmd with the cookie under HOME.
      try {
        await execFileAsync(RABBITMQCTL, ['-n', nodeName, 'eval', 'ok = mnesia:sync_log().'], { env });
      } catch (error: unknown) {
        const { code, stdout = '', stderr = '' } = error as { code?: unknown; stdout?: string; stderr?: string };
        throw new Error(`rabbitmqctl could not sync ${nodeName}'s metadata (exit ${String(code)}): ${(stdout + stderr).trim()}`, { cause: error });
      }
    },
    async management(path, request) {
      const method = request?.method ?? 'GET';
      const response = await fetch(`http://127.0.0.1:${managementPort}${path}`, {
        method,
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: request?.body === undefined ? undefined : JSON.stringify(request.body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
      return text === '' ? undefined : JSON.parse(text) as unknown;
    },
    async queueCounts(name) {
      const response = await fetch(`http://127.0.0.1:${managementPort}/api/queues/%2F/${encodeURIComponent(name)}`, { headers: { authorization: auth } });
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`GET queue ${name}: HTTP ${response.status} ${await response.text()}`);
      const info = await response.json() as { messages_ready?: number; messages_unacknowledged?: number; consumers?: number };
      // A queue declared a moment ago has no counts until the next collection.
      if (info.messages_ready === undefined || info.messages_unacknowledged === undefined) return undefined;
      return { ready: info.messages_ready, unacked: info.messages_unacknowledged, consumers: info.consumers ?? 0 };
    },
  };
}

async function nodePorts(): Promise<{ amqpPort: number; managementPort: number; prometheusPort: number; distPort: number; epmdPort: number }> {
  const ports = new Set<number>();
  while (ports.size < 5) ports.add(await freePort());
  const [amqpPort = 0, managementPort = 0, prometheusPort = 0, distPort = 0, epmdPort = 0] = ports;
  return { amqpPort, managementPort, prometheusPort, distPort, epmdPort };
}

/** The AMQP 0-9-1 protocol header; a broker that is up answers with a connection.start method frame (type 1). */
const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

function amqpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => { done(false); });
    socket.once('error', () => { done(false); });
    socket.once('connect', () => { socket.write(PROTOCOL_HEADER); });
    socket.once('data', (data) => { done(data[0] === 1); });
  });
}

async function waitForAmqp(port: number, timeoutMs: number, exited: Promise<void>, failure: () => string): Promise<void> {
  let gone = false;
  void exited.then(() => { gone = true; });
  const hasExited = (): boolean => gone;
  const deadline = performance.now() + timeoutMs;
  while (!(await amqpAnswers(port))) {
    if (hasExited()) throw new Error(`rabbitmq-server exited during start-up\n${failure()}`);
    if (performance.now() > deadline) throw new Error(`rabbitmq-server did not answer AMQP on port ${port} within ${timeoutMs} ms\n${failure()}`);
    await sleep(50);
  }
}

/**
 * Pids of a node's processes still running (zombies aside), found by the
 * RABBITMQ_NODENAME in their environment (Linux /proc; readable for
 * processes of the same user). It finds the beam's helpers too, which run in
 * sessions of their own.
 */
export function nodeProcesses(nodeName: string): number[] {
  const marker = `\0RABBITMQ_NODENAME=${nodeName}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The state follows the command, which is in parentheses.
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      if (`\0${readFileSync(`/proc/${entry}/environ`, 'latin1')}`.includes(marker)) pids.push(Number(entry));
    } catch {
      // Gone while we looked, or not ours to read.
    }
  }
  return pids;
}

function describeFailure(nodeName: string, logDir: string, output: readonly string[]): string {
  let log = '';
  try {
    log = readFileSync(join(logDir, `${nodeName}.log`), 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    // No log yet.
  }
  return `output:\n${output.join('').split('\n').slice(-30).join('\n')}\nlog:\n${log}`;
}
