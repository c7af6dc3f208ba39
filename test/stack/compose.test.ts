/**
 * docker-compose.yml as Compose itself reads it: docker-compose 1.29 (Debian's)
 * when installed, else the `docker compose` plugin. No Docker daemon needed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ROOT, asRecord, isRecord, optionalArray, runTool, runToolOk, type JsonRecord } from './tools.ts';

const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const SERVICES = ['sidecar', 'worker', 'worker-python', 'prometheus', 'tempo', 'grafana'];

function composeCommand(): [string, string[]] {
  if (runToolExists('docker-compose')) return ['docker-compose', []];
  if (runToolExists('docker') && runTool('docker', ['compose', 'version']).status === 0) return ['docker', ['compose']];
  throw new Error('neither docker-compose nor `docker compose` is installed: run tools/install-test-deps.sh (Debian package docker-compose)');
}

function runToolExists(command: string): boolean {
  try {
    runTool(command, ['--version']);
    return true;
  } catch {
    return false;
  }
}

let resolved: JsonRecord | undefined;

/** The compose model after Compose has validated it and interpolated .env; resolved once for all the tests. */
function resolvedCompose(): JsonRecord {
  if (resolved === undefined) {
    const [command, prefix] = composeCommand();
    const output = runToolOk(command, [...prefix, '-f', COMPOSE_FILE, 'config']);
    resolved = asRecord(parseYaml(output) as unknown, 'compose config');
  }
  return resolved;
}

function service(config: JsonRecord, name: string): JsonRecord {
  return asRecord(asRecord(config.services, 'services')[name], `service ${name}`);
}

const text = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value));

/** Host side of each published port, in both the short and the long syntax. */
function publishedPorts(definition: JsonRecord): { hostIp: string | undefined; published: string | undefined; raw: string }[] {
  return optionalArray(definition.ports, 'ports').map((port) => {
    if (isRecord(port)) {
      return {
        hostIp: typeof port.host_ip === 'string' ? port.host_ip : undefined,
        published: port.published === undefined ? undefined : text(port.published),
        raw: JSON.stringify(port),
      };
    }
    const raw = text(port);
    const parts = raw.split(':');
    return { hostIp: parts.length === 3 ? parts[0] : undefined, published: parts.length >= 2 ? parts[parts.length - 2] : undefined, raw };
  });
}

test('Compose accepts docker-compose.yml and it defines the lab\'s six services', () => {
  const config = resolvedCompose();
  assert.deepEqual(Object.keys(asRecord(config.services, 'services')).sort(), [...SERVICES].sort());
});

test('the compose file has no top-level name or version, which docker-compose 1.29 or Compose v2 reject or warn about', () => {
  const raw = asRecord(parseYaml(readFileSync(COMPOSE_FILE, 'utf8')) as unknown, 'docker-compose.yml');
  assert.equal(raw.name, undefined);
  assert.equal(raw.version, undefined);
});

test('the worker service can be scaled: no container_name, no host port, several replicas by default', () => {
  const worker = service(resolvedCompose(), 'worker');
  assert.equal(worker.container_name, undefined, 'container_name would make a second replica collide');
  assert.deepEqual(publishedPorts(worker), [], 'a fixed host port would make a second replica collide');
  assert.ok(typeof worker.scale === 'number' && worker.scale >= 2, `worker scale is ${JSON.stringify(worker.scale)}`);
});

test('every published port listens on 127.0.0.1 only', () => {
  const config = resolvedCompose();
  for (const name of SERVICES) {
    for (const port of publishedPorts(service(config, name))) {
      assert.equal(port.hostIp, '127.0.0.1', `${name} publishes ${port.raw} on all interfaces`);
    }
  }
});

test('every service has a memory limit, and every one but Tempo (distroless, no shell) a healthcheck', () => {
  const config = resolvedCompose();
  for (const name of SERVICES) {
    const definition = service(config, name);
    assert.ok(definition.mem_limit !== undefined, `${name} has no mem_limit`);
    if (name !== 'tempo') assert.ok(isRecord(definition.healthcheck), `${name} has no healthcheck`);
  }
});

test('the sidecar and worker healthchecks ask the gRPC health service, not a TCP port', () => {
  const config = resolvedCompose();
  for (const [name, port] of [['sidecar', '50051'], ['worker', '50052']] as const) {
    const healthcheck = asRecord(service(config, name).healthcheck, `${name} healthcheck`);
    const test = optionalArray(healthcheck.test, `${name} healthcheck test`).map(String);
    // ["CMD", argv...] or ["CMD-SHELL", "one command line"]: compare words either way.
    const command = test[0] === 'CMD-SHELL' ? test.slice(1).join(' ').split(/\s+/) : test;
    assert.ok(command.some((part) => part.endsWith('packages/common/src/health-probe.ts')), `${name}: ${command.join(' ')}`);
    assert.ok(command.some((part) => part.endsWith(`:${port}`)), `${name} probes the wrong port: ${command.join(' ')}`);
  }
  const python = optionalArray(asRecord(service(config, 'worker-python').healthcheck, 'worker-python healthcheck').test, 'test').map(String);
  assert.deepEqual(python, ['CMD', 'python3', '/app/health_probe.py', '127.0.0.1:50052'], 'the Python worker asks its own gRPC health service');
});

test('the Python worker service scales like the worker (no container_name, no host port) and runs none by default', () => {
  const python = service(resolvedCompose(), 'worker-python');
  assert.equal(python.container_name, undefined);
  assert.deepEqual(publishedPorts(python), []);
  assert.equal(python.scale, 0);
  assert.equal(python.read_only, true);
  assert.deepEqual(python.cap_drop, ['ALL']);
  const condition = asRecord(asRecord(python.depends_on, 'depends_on').sidecar, 'sidecar').condition;
  assert.equal(condition, 'service_healthy');
});

test('workers start only once the sidecar is healthy, and Grafana once Prometheus is', () => {
  const config = resolvedCompose();
  const condition = (from: string, to: string): unknown => asRecord(asRecord(service(config, from).depends_on, `${from} depends_on`)[to], `${from} -> ${to}`).condition;
  assert.equal(condition('worker', 'sidecar'), 'service_healthy');
  assert.equal(condition('grafana', 'prometheus'), 'service_healthy');
});

test('Prometheus runs with exemplar storage, and every image version comes from .env', () => {
  const config = resolvedCompose();
  const prometheus = service(config, 'prometheus');
  assert.ok(optionalArray(prometheus.command, 'prometheus command').includes('--enable-feature=exemplar-storage'));
  const env = readFileSync(path.join(ROOT, '.env'), 'utf8');
  for (const [name, variable] of [['prometheus', 'PROMETHEUS_IMAGE'], ['tempo', 'TEMPO_IMAGE'], ['grafana', 'GRAFANA_IMAGE']] as const) {
    const pinned = new RegExp(`^${variable}=(.+)$`, 'm').exec(env)?.[1];
    assert.ok(pinned !== undefined && /:[\w.-]+$/.test(pinned) && !pinned.endsWith(':latest'), `.env pins no version for ${variable}`);
    assert.equal(service(config, name).image, pinned);
  }
  const debian = /^DEBIAN_IMAGE=(.+)$/m.exec(env)?.[1];
  assert.ok(debian !== undefined && /^debian:[\w.-]+$/.test(debian) && !debian.endsWith(':latest'), '.env pins no Debian base for the Python worker');
  assert.equal(asRecord(asRecord(service(config, 'worker-python').build, 'build').args, 'build args').DEBIAN_IMAGE, debian);
});

test('Prometheus mounts deploy/prometheus where its config file is, so rule_files finds the alert rules beside it', () => {
  const prometheus = service(resolvedCompose(), 'prometheus');
  const flag = optionalArray(prometheus.command, 'prometheus command').map(String).find((arg) => arg.startsWith('--config.file='));
  assert.ok(flag, 'prometheus has no --config.file');
  const configDir = path.posix.dirname(flag.slice('--config.file='.length));
  // Short syntax (docker-compose 1.29 prints SOURCE:TARGET:MODE) or long syntax (Compose v2).
  const mounts = optionalArray(prometheus.volumes, 'prometheus volumes').map((volume) => {
    if (isRecord(volume)) return { source: String(volume.source), target: String(volume.target), readOnly: volume.read_only === true };
    const [source = '', target = '', mode = ''] = text(volume).split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
  const mount = mounts.find((item) => item.target === configDir);
  assert.ok(mount, `nothing is mounted at ${configDir}: ${JSON.stringify(mounts)}`);
  assert.equal(path.resolve(ROOT, mount.source), path.join(ROOT, 'deploy/prometheus'));
  assert.ok(mount.readOnly, 'the config folder is mounted read-only');
});

test('MODE= sets every worker\'s DELIVERY_MODE for make up, scale and lab; a bad one stops make and names it', () => {
  const printed = runToolOk('make', ['-s', '--eval', 'show: ; @echo "[$$DELIVERY_MODE]"', 'show', 'MODE=credit']);
  assert.equal(printed.trim(), '[credit]');
  const bad = runTool('make', ['-n', 'up', 'MODE=push']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /MODE must be stream, credit or poll, got 'push'/);
});

test('make up starts every service whose image it can have, and names the ones it leaves out', () => {
  // Stand-ins for docker and compose that record what make asks of them:
  // the Tempo image is missing and cannot be pulled, everything else is there.
  const bin = mkdtempSync(path.join(tmpdir(), 'make-up-'));
  try {
    const log = path.join(bin, 'calls.log');
    writeFileSync(path.join(bin, 'docker'), [
      '#!/bin/sh',
      `echo "docker $*" >> ${log}`,
      'case "$1 $2" in',
      '  "image inspect") case "$3" in grafana/tempo:*) exit 1 ;; esac ;;',
      '  "pull -q") exit 1 ;;',
      'esac',
      'exit 0',
    ].join('\n'), { mode: 0o755 });
    writeFileSync(path.join(bin, 'compose'), [
      '#!/bin/sh',
      `echo "compose $*" >> ${log}`,
      'case "$1" in',
      `  config) printf '%s\\n' ${SERVICES.join(' ')} ;;`,
      'esac',
      'exit 0',
    ].join('\n'), { mode: 0o755 });
    const result = runTool('make', ['up', `DOCKER=${path.join(bin, 'docker')}`, `COMPOSE=${path.join(bin, 'compose')}`]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /image grafana\/tempo:\S+ is neither here nor pullable: starting without tempo \(no traces\)/);
    assert.doesNotMatch(result.stderr, /without grafana/);
    const up = readFileSync(log, 'utf8').split('\n').find((line) => line.startsWith('compose up'));
    assert.equal(up, `compose up -d --build ${SERVICES.filter((name) => name !== 'tempo').join(' ')}`);
    assert.match(result.stdout, /Grafana {5}http:\/\/127\.0\.0\.1:\d+\/d\/backlog-lab/);
    assert.doesNotMatch(result.stdout, /Tempo {7}http/);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});
