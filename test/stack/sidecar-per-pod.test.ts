/**
 * The per-pod topology in Kubernetes (deploy/k8s-per-pod: deploy/k8s plus the
 * components rabbitmq and sidecar-per-pod), checked offline: rendered by
 * `kubectl kustomize`, every object against the Kubernetes schemas (field
 * names included), every container (native sidecars too) held to the
 * security, resource and probe settings of deploy/k8s, and Prometheus
 * finding every pod's sidecar.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { MODELS, NAMESPACE, containers, describe, find, generatedConfigMap, initContainers, kindOf, podSpec, render, unknownFields } from './k8s.ts';
import { ROOT, asArray, asRecord, asString, isRecord, optionalArray, runToolOk, type JsonRecord } from './tools.ts';

const objects = (): JsonRecord[] => render('deploy/k8s-per-pod');
const deployment = (name: string): JsonRecord => find(objects(), 'Deployment', name);
const worker = (): JsonRecord => deployment('worker');

function sidecarContainer(): JsonRecord {
  const found = initContainers(worker()).find((c) => c.name === 'sidecar');
  assert.ok(found, 'no init container sidecar in the worker pod');
  return found;
}
function workerContainer(): JsonRecord {
  const found = containers(worker()).find((c) => c.name === 'worker');
  assert.ok(found, 'no container worker');
  return found;
}
/** A container's env as name -> entry (value or valueFrom). */
function envOf(container: JsonRecord): Map<string, JsonRecord> {
  return new Map(optionalArray(container.env, 'env').map((e) => {
    const entry = asRecord(e, 'env entry');
    return [asString(entry.name, 'env name'), entry] as const;
  }));
}
const valueOf = (container: JsonRecord, name: string): unknown => envOf(container).get(name)?.value;

test('kubectl kustomize renders deploy/k8s-per-pod: the lab, the broker, and a sidecar in every worker pod', () => {
  const names = objects().map(describe);
  for (const expected of ['Deployment/worker', 'Deployment/sidecar', 'StatefulSet/rabbitmq', 'Service/rabbitmq', 'Service/worker-metrics', 'Service/sidecar-metrics']) {
    assert.ok(names.includes(expected), `${expected} is missing from ${names.join(', ')}`);
  }
  assert.equal(sidecarContainer().image, 'backlog-lab/sidecar:dev');
});

test('every object validates against the Kubernetes schemas and has no field they do not know', () => {
  for (const object of objects()) {
    const model = MODELS[kindOf(object)];
    assert.ok(model, `${describe(object)}: no schema known for ${kindOf(object)}`);
    assert.doesNotThrow(() => { model.validate(object); }, `${describe(object)} does not validate`);
  }
  assert.equal(unknownFields(objects()), '');
});

test('a misspelt field of the native sidecar is reported (the check above can fail)', () => {
  const copy = structuredClone(worker());
  const [sidecar] = optionalArray(podSpec(copy).initContainers, 'initContainers').map((c) => asRecord(c, 'init container'));
  assert.ok(sidecar);
  sidecar.restartPolcy = sidecar.restartPolicy;
  delete sidecar.restartPolicy;
  assert.match(unknownFields([copy]), /restartPolcy/);
});

test('every namespaced object is in the backlog-lab namespace', () => {
  for (const object of objects()) {
    if (object.kind === 'Namespace') continue;
    assert.equal(asRecord(object.metadata, 'metadata').namespace, NAMESPACE, describe(object));
  }
});

test('the sidecar is a native sidecar container (init, restartPolicy Always) started before the worker, which it serves on localhost', () => {
  const sidecar = sidecarContainer();
  assert.equal(sidecar.restartPolicy, 'Always', 'Kubernetes 1.29+ native sidecar: an init container that keeps running');
  assert.equal(valueOf(workerContainer(), 'SIDECAR_ADDRESS'), `127.0.0.1:${String(valueOf(sidecar, 'SIDECAR_GRPC_PORT'))}`);
  // The worker starts once the sidecar listens: its startup probe is what the kubelet waits for.
  assert.ok(isRecord(asRecord(sidecar.startupProbe, 'startupProbe').tcpSocket));
});

test('each pod\'s sidecar consumes the broker\'s queue, its URL from the Secret, with a small prefetch, acking streams on receipt, producing nothing', () => {
  const sidecar = sidecarContainer();
  assert.equal(valueOf(sidecar, 'QUEUE'), 'rabbitmq');
  const ref = asRecord(asRecord(envOf(sidecar).get('QUEUE_URL')?.valueFrom, 'QUEUE_URL valueFrom').secretKeyRef, 'secretKeyRef');
  const secret = objects().find((o) => o.kind === 'Secret' && asString(asRecord(o.metadata, 'metadata').name, 'name') === asString(ref.name, 'secret name'));
  assert.ok(secret, `no Secret ${String(ref.name)}`);
  const url = new URL(Buffer.from(asString(asRecord(secret.data, 'data')[asString(ref.key, 'key')], 'QUEUE_URL'), 'base64').toString());
  assert.equal(url.hostname, 'rabbitmq');
  assert.ok(Number(valueOf(sidecar, 'QUEUE_PREFETCH')) <= 100, 'per pod, what a sidecar buffers belongs to its one worker');
  assert.equal(valueOf(sidecar, 'STREAM_UPSTREAM_ACK'), 'receipt');
  // lab-settings sets a producer rate for the shared sidecar; in every pod it would grow the load with the pods.
  assert.equal(valueOf(sidecar, 'PRODUCER_RATE'), '0');
  assert.equal(valueOf(sidecar, 'PRODUCER_BURST'), '0');
  assert.ok(optionalArray(sidecar.envFrom, 'envFrom').length > 0, 'the lab\'s settings reach the sidecar too');
});

test('the sidecar Deployment is the producer: one replica that publishes and takes nothing from the queue', () => {
  const producer = deployment('sidecar');
  assert.equal(asRecord(producer.spec, 'spec').replicas, 1);
  const [container] = containers(producer);
  assert.ok(container);
  assert.equal(valueOf(container, 'QUEUE'), 'rabbitmq');
  assert.equal(valueOf(container, 'QUEUE_CONSUME'), 'false');
});

test('every container of every pod, native sidecars included, runs as non-root, read-only, without capabilities, with requests and limits', () => {
  for (const item of objects().filter((o) => o.kind === 'Deployment')) {
    const pod = podSpec(item);
    const podSecurity = isRecord(pod.securityContext) ? pod.securityContext : {};
    for (const container of [...initContainers(item), ...containers(item)]) {
      const where = `${describe(item)} container ${asString(container.name, 'name')}`;
      const security = asRecord(container.securityContext, `${where} securityContext`);
      assert.equal(security.runAsNonRoot ?? podSecurity.runAsNonRoot, true, `${where}: runAsNonRoot`);
      const uid = security.runAsUser ?? podSecurity.runAsUser;
      assert.ok(typeof uid === 'number' && uid > 0, `${where}: runAsUser`);
      assert.equal(security.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
      assert.equal(security.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
      assert.deepEqual(asRecord(security.capabilities, `${where} capabilities`).drop, ['ALL'], `${where}: capabilities.drop`);
      assert.equal(asRecord(security.seccompProfile ?? podSecurity.seccompProfile, `${where} seccompProfile`).type, 'RuntimeDefault', `${where}: seccomp`);
      const resources = asRecord(container.resources, `${where} resources`);
      for (const bound of ['requests', 'limits']) {
        const values = asRecord(resources[bound], `${where} resources.${bound}`);
        assert.ok(values.cpu !== undefined && values.memory !== undefined, `${where}: ${bound} needs cpu and memory`);
      }
    }
  }
});

test('probes: a broker outage takes the pod out of readiness (gRPC health) without restarting its sidecar (liveness on the port); the worker keeps its own', () => {
  const sidecar = sidecarContainer();
  const port = Number(valueOf(sidecar, 'SIDECAR_GRPC_PORT'));
  assert.equal(asRecord(asRecord(sidecar.readinessProbe, 'readinessProbe').grpc, 'grpc').port, port);
  const liveness = asRecord(sidecar.livenessProbe, 'livenessProbe');
  assert.equal(liveness.grpc, undefined);
  assert.equal(asRecord(liveness.tcpSocket, 'tcpSocket').port, port);
  for (const probe of ['readinessProbe', 'livenessProbe']) {
    assert.equal(asRecord(asRecord(workerContainer()[probe], probe).grpc, `${probe}.grpc`).port, 50052);
  }
  // The worker drains (10 s), then the sidecar (5 s): the pod's grace covers both.
  const grace = podSpec(worker()).terminationGracePeriodSeconds;
  assert.ok(typeof grace === 'number' && grace > 15, `terminationGracePeriodSeconds ${String(grace)}`);
});

test('the worker and its sidecar share the pod\'s network without a port clash: the sidecar\'s metrics are on a port of their own', () => {
  const ports = [...initContainers(worker()), ...containers(worker())].flatMap((c) => optionalArray(c.ports, 'ports').map((p) => asRecord(p, 'port')));
  const numbers = ports.map((p) => p.containerPort);
  assert.equal(new Set(numbers).size, numbers.length, `containerPorts ${numbers.join(', ')}`);
  const names = ports.map((p) => asString(p.name, 'port name'));
  assert.equal(new Set(names).size, names.length, `port names ${names.join(', ')}`);
  const metricsPort = Number(valueOf(sidecarContainer(), 'SIDECAR_METRICS_PORT'));
  assert.notEqual(metricsPort, Number(valueOf(workerContainer(), 'WORKER_METRICS_PORT')));
  assert.ok(numbers.includes(metricsPort));
});

/** scrape_configs of a Prometheus config, by job name. */
function jobs(text: string): Map<string, JsonRecord> {
  const config = asRecord(parseYaml(text) as unknown, 'prometheus.yml');
  return new Map(asArray(config.scrape_configs, 'scrape_configs').map((j) => {
    const job = asRecord(j, 'job');
    return [asString(job.job_name, 'job_name'), job] as const;
  }));
}

test('Prometheus scrapes every pod\'s sidecar on its own port, and the producer, and all else as deploy/k8s does', () => {
  const rendered = asString(asRecord(generatedConfigMap(objects(), 'prometheus-config').data, 'data')['prometheus.yml'], 'prometheus.yml');
  const own = readFileSync(path.join(ROOT, 'deploy/k8s/components/sidecar-per-pod/prometheus.yml'), 'utf8');
  assert.equal(rendered, own, 'the component replaces the Prometheus config with its own');
  const perPod = jobs(own);
  const base = jobs(readFileSync(path.join(ROOT, 'deploy/k8s/prometheus.yml'), 'utf8'));
  assert.deepEqual([...perPod.keys()], [...base.keys()]);
  for (const [name, job] of base) if (name !== 'sidecar') assert.deepEqual(perPod.get(name), job, `job ${name} differs from deploy/k8s/prometheus.yml`);
  const discovery = optionalArray(perPod.get('sidecar')?.dns_sd_configs, 'sidecar dns_sd_configs').map((d) => asRecord(d, 'dns_sd_config'));
  const metricsPort = Number(valueOf(sidecarContainer(), 'SIDECAR_METRICS_PORT'));
  assert.ok(discovery.some((d) => JSON.stringify(d.names) === '["worker-metrics"]' && d.port === metricsPort && d.type === 'A'), 'the per-pod sidecars, through the workers\' headless Service');
  assert.ok(discovery.some((d) => JSON.stringify(d.names) === '["sidecar-metrics"]' && d.port === 9464), 'the producer');
  assert.match(runToolOk('promtool', ['check', 'config', path.join(ROOT, 'deploy/k8s/components/sidecar-per-pod/prometheus.yml')]), /SUCCESS/);
});

test('make k8s-apply TOPOLOGY=per-pod applies deploy/k8s-per-pod', () => {
  assert.match(runToolOk('make', ['-n', 'k8s-apply', 'TOPOLOGY=per-pod']), /apply -k deploy\/k8s-per-pod/);
});
