/**
 * RabbitMQ behind the sidecar in the deploy files, checked offline:
 * docker-compose.rabbitmq.yml as Compose resolves it on top of
 * docker-compose.yml, the Makefile's QUEUE=rabbitmq hook, and
 * deploy/k8s-rabbitmq (deploy/k8s plus the component
 * deploy/k8s/components/rabbitmq) as `kubectl kustomize` renders it, each
 * object checked against the Kubernetes schemas, field names included.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { ROOT, asArray, asRecord, asString, isRecord, optionalArray, runTool, runToolOk, type JsonRecord } from './tools.ts';

const env = readFileSync(path.join(ROOT, '.env'), 'utf8');
const pinned = (variable: string): string => {
  const value = new RegExp(`^${variable}=(.+)$`, 'm').exec(env)?.[1];
  assert.ok(value !== undefined, `.env has no ${variable}`);
  return value;
};
const LAB_CONF = readFileSync(path.join(ROOT, 'deploy/rabbitmq/20-lab.conf'), 'utf8');

// ---- compose ----

function compose(extraEnv: Record<string, string> = {}): JsonRecord {
  const command = runTool('docker-compose', ['--version']).status === 0 ? ['docker-compose'] : ['docker', 'compose'];
  const result = runToolOk('env', [...Object.entries(extraEnv).map(([k, v]) => `${k}=${v}`), ...command, '-f', 'docker-compose.yml', '-f', 'docker-compose.rabbitmq.yml', 'config']);
  return asRecord(parseYaml(result) as unknown, 'compose config');
}
let resolved: JsonRecord | undefined;
const composeConfig = (): JsonRecord => (resolved ??= compose());
const service = (config: JsonRecord, name: string): JsonRecord => asRecord(asRecord(config.services, 'services')[name], `service ${name}`);

/** [host ip, host port] of each published port; Compose prints them as "ip:host:container/proto". */
function hostPorts(definition: JsonRecord): [string, string][] {
  return optionalArray(definition.ports, 'ports').map((port) => {
    if (isRecord(port)) return [typeof port.host_ip === 'string' ? port.host_ip : '', typeof port.published === 'string' || typeof port.published === 'number' ? String(port.published) : ''];
    const parts = String(port).split(':');
    return [parts.length === 3 ? (parts[0] ?? '') : '', parts.length >= 2 ? (parts[parts.length - 2] ?? '') : ''];
  });
}

test('Compose accepts docker-compose.rabbitmq.yml on top of docker-compose.yml and adds a rabbitmq service', () => {
  assert.deepEqual(Object.keys(asRecord(composeConfig().services, 'services')).sort(), ['grafana', 'prometheus', 'rabbitmq', 'sidecar', 'tempo', 'worker', 'worker-python']);
});

test('the rabbitmq service: the image .env pins, a named volume for its data, the lab\'s config, a healthcheck and a memory limit', () => {
  const rabbitmq = service(composeConfig(), 'rabbitmq');
  assert.equal(rabbitmq.image, pinned('RABBITMQ_IMAGE'));
  assert.match(pinned('RABBITMQ_IMAGE'), /^rabbitmq:[\w.-]+$/);
  assert.equal(rabbitmq.hostname, 'rabbitmq', 'the node name, and so its data, must not change with the container');
  const volumes = optionalArray(rabbitmq.volumes, 'volumes').map(String);
  assert.ok(volumes.includes('rabbitmq-data:/var/lib/rabbitmq:rw'), volumes.join(', '));
  assert.ok(volumes.some((v) => v.endsWith('/deploy/rabbitmq/20-lab.conf:/etc/rabbitmq/conf.d/20-lab.conf:ro')), volumes.join(', '));
  assert.ok(isRecord(asRecord(composeConfig().volumes, 'volumes')['rabbitmq-data']));
  assert.ok(isRecord(rabbitmq.healthcheck));
  assert.ok(rabbitmq.mem_limit !== undefined);
  // The config keeps the broker's memory alarm inside the container's limit.
  const watermark = Number(/^vm_memory_high_watermark\.absolute = (\d+)$/m.exec(LAB_CONF)?.[1]);
  assert.ok(watermark > 0 && watermark < 1024 ** 3 * 0.75, `watermark ${watermark}`);
});

test('only the management UI is published, on 127.0.0.1; AMQP stays inside the compose network', () => {
  assert.deepEqual(hostPorts(service(composeConfig(), 'rabbitmq')), [['127.0.0.1', pinned('RABBITMQ_MANAGEMENT_PORT')]]);
});

test('the sidecar consumes the broker\'s queue and starts once the broker is healthy', () => {
  const sidecar = service(composeConfig(), 'sidecar');
  const environment = asRecord(sidecar.environment, 'sidecar environment');
  assert.equal(environment.QUEUE, 'rabbitmq');
  assert.equal(new URL(asString(environment.QUEUE_URL, 'QUEUE_URL')).hostname, 'rabbitmq');
  assert.equal(asRecord(asRecord(sidecar.depends_on, 'depends_on').rabbitmq, 'depends_on rabbitmq').condition, 'service_healthy');
  // What the base file sets stays (telemetry, ports inside the container).
  assert.equal(String(environment.SIDECAR_GRPC_PORT), '50051');
});

test('with the host ports left empty, as make up QUEUE=rabbitmq leaves them, the sidecar scales: no fixed host port', () => {
  const config = compose({ SIDECAR_GRPC_HOST_PORT: '', SIDECAR_METRICS_HOST_PORT: '', SIDECAR_REPLICAS: '3' });
  const sidecar = service(config, 'sidecar');
  assert.deepEqual(hostPorts(sidecar), [['127.0.0.1', ''], ['127.0.0.1', '']]);
  assert.equal(sidecar.container_name, undefined);
  assert.equal(sidecar.scale, 3);
});

test('make up QUEUE=rabbitmq runs Compose with both files and no fixed sidecar host port; plain make up does not', () => {
  const dryRun = (args: string[]): string => runToolOk('make', ['-n', ...args]);
  const withRabbit = dryRun(['up', 'QUEUE=rabbitmq']);
  assert.match(withRabbit, /-f docker-compose\.yml -f docker-compose\.rabbitmq\.yml up -d --build/);
  const printed = runToolOk('make', ['-s', '--eval', 'show: ; @echo "[$$SIDECAR_GRPC_HOST_PORT|$$SIDECAR_METRICS_HOST_PORT]"', 'show', 'QUEUE=rabbitmq']);
  assert.equal(printed.trim(), '[|]');
  assert.doesNotMatch(dryRun(['up']), /docker-compose\.rabbitmq\.yml/);
  assert.match(dryRun(['k8s-apply', 'QUEUE=rabbitmq']), /apply -k deploy\/k8s-rabbitmq/);
});

// ---- Kubernetes ----

const MODELS: Readonly<Record<string, { validate: (data: JsonRecord) => void; type: string; module: string }>> = {
  'v1/Namespace': { validate: (data) => { new Namespace(data).validate(); }, type: 'INamespace', module: 'kubernetes-models/v1/Namespace' },
  'v1/ServiceAccount': { validate: (data) => { new ServiceAccount(data).validate(); }, type: 'IServiceAccount', module: 'kubernetes-models/v1/ServiceAccount' },
  'v1/Service': { validate: (data) => { new Service(data).validate(); }, type: 'IService', module: 'kubernetes-models/v1/Service' },
  'v1/ConfigMap': { validate: (data) => { new ConfigMap(data).validate(); }, type: 'IConfigMap', module: 'kubernetes-models/v1/ConfigMap' },
  'v1/Secret': { validate: (data) => { new Secret(data).validate(); }, type: 'ISecret', module: 'kubernetes-models/v1/Secret' },
  'apps/v1/Deployment': { validate: (data) => { new Deployment(data).validate(); }, type: 'IDeployment', module: 'kubernetes-models/apps/v1/Deployment' },
  'apps/v1/StatefulSet': { validate: (data) => { new StatefulSet(data).validate(); }, type: 'IStatefulSet', module: 'kubernetes-models/apps/v1/StatefulSet' },
};

let rendered: JsonRecord[] | undefined;
function objects(): JsonRecord[] {
  rendered ??= parseAllDocuments(runToolOk('kubectl', ['kustomize', 'deploy/k8s-rabbitmq'])).map((document, index) => {
    if (document.errors.length > 0) throw new Error(`document ${index}: ${document.errors.map(String).join('; ')}`);
    return asRecord(document.toJS() as unknown, `document ${index}`);
  });
  return rendered;
}
const kindOf = (object: JsonRecord): string => `${asString(object.apiVersion, 'apiVersion')}/${asString(object.kind, 'kind')}`;
const nameOf = (object: JsonRecord): string => asString(asRecord(object.metadata, 'metadata').name, 'metadata.name');
function find(kind: string, name: string | RegExp): JsonRecord {
  const found = objects().find((o) => o.kind === kind && (typeof name === 'string' ? nameOf(o) === name : name.test(nameOf(o))));
  assert.ok(found, `no ${kind} ${String(name)}`);
  return found;
}
const podSpec = (workload: JsonRecord): JsonRecord => asRecord(asRecord(asRecord(workload.spec, 'spec').template, 'template').spec, 'pod spec');
const firstContainer = (workload: JsonRecord): JsonRecord => asRecord(asArray(podSpec(workload).containers, 'containers')[0], 'container');

test('kubectl kustomize renders deploy/k8s-rabbitmq: the lab plus a RabbitMQ StatefulSet, its Service, config and credentials', () => {
  const names = objects().map((o) => `${asString(o.kind, 'kind')}/${nameOf(o)}`);
  for (const expected of ['StatefulSet/rabbitmq', 'Service/rabbitmq', 'ServiceAccount/rabbitmq', 'Deployment/sidecar', 'Deployment/worker', 'Deployment/prometheus']) {
    assert.ok(names.includes(expected), `${expected} is missing from ${names.join(', ')}`);
  }
  assert.ok(names.some((n) => n.startsWith('ConfigMap/rabbitmq-config-')));
  assert.ok(names.some((n) => n.startsWith('Secret/rabbitmq-credentials-')));
});

/**
 * Fields the Kubernetes API does not know, as TypeScript reports them (empty
 * when none): kubernetes-models' schemas allow unknown fields, its types do
 * not (`satisfies` reports excess properties at any depth).
 */
function unknownFields(list: readonly JsonRecord[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'k8s-rabbitmq-'));
  try {
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    const lines = list.map((object, i) => {
      const model = MODELS[kindOf(object)];
      assert.ok(model, `no schema known for ${kindOf(object)}`);
      return `import type { ${model.type} as T${i} } from '${model.module}';\nexport const o${i} = ${JSON.stringify(object)} satisfies T${i};`;
    });
    writeFileSync(path.join(dir, 'objects.ts'), `${lines.join('\n')}\n`);
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { noEmit: true, strict: true, skipLibCheck: true, target: 'es2024', module: 'preserve', moduleResolution: 'bundler', types: [] }, files: ['objects.ts'] }));
    const result = runTool(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir });
    return result.status === 0 ? '' : `${result.stdout}${result.stderr}` || `tsc exited ${result.status}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('every object validates against the Kubernetes schemas and has no field they do not know', () => {
  for (const object of objects()) {
    const model = MODELS[kindOf(object)];
    assert.ok(model, `no schema known for ${kindOf(object)}`);
    assert.doesNotThrow(() => { model.validate(object); }, `${kindOf(object)} ${nameOf(object)}`);
  }
  assert.equal(unknownFields(objects()), '');
});

test('a misspelt field in the StatefulSet is reported (the check above can fail)', () => {
  const statefulSet = structuredClone(find('StatefulSet', 'rabbitmq'));
  const spec = asRecord(statefulSet.spec, 'spec');
  spec.volumeClaimTemplate = spec.volumeClaimTemplates;
  delete spec.volumeClaimTemplates;
  assert.match(unknownFields([statefulSet]), /volumeClaimTemplate/);
});

test('every namespaced object, the component\'s included, is in the backlog-lab namespace', () => {
  for (const object of objects()) {
    if (object.kind === 'Namespace') continue;
    assert.equal(asRecord(object.metadata, 'metadata').namespace, 'backlog-lab', `${kindOf(object)} ${nameOf(object)}`);
  }
});

test('the broker keeps its data on a PersistentVolumeClaim, behind a headless Service, with the image .env pins', () => {
  const statefulSet = find('StatefulSet', 'rabbitmq');
  const spec = asRecord(statefulSet.spec, 'spec');
  assert.equal(spec.replicas, 1);
  const service = find('Service', asString(spec.serviceName, 'serviceName'));
  assert.equal(asRecord(service.spec, 'service spec').clusterIP, 'None');
  assert.ok(optionalArray(asRecord(service.spec, 'service spec').ports, 'ports').some((p) => isRecord(p) && p.port === 5672));
  const [claim] = asArray(spec.volumeClaimTemplates, 'volumeClaimTemplates').map((c) => asRecord(c, 'claim'));
  assert.ok(claim);
  const claimName = nameOf(claim);
  assert.ok(asRecord(asRecord(asRecord(claim.spec, 'claim spec').resources, 'resources').requests, 'requests').storage);
  const container = firstContainer(statefulSet);
  assert.equal(container.image, pinned('RABBITMQ_IMAGE'));
  const mounts = optionalArray(container.volumeMounts, 'volumeMounts').map((m) => asRecord(m, 'mount'));
  assert.ok(mounts.some((m) => m.name === claimName && m.mountPath === '/var/lib/rabbitmq'));
});

test('the broker pod runs as non-root, read-only, without capabilities, with requests, limits and probes', () => {
  const statefulSet = find('StatefulSet', 'rabbitmq');
  const pod = podSpec(statefulSet);
  const podSecurity = asRecord(pod.securityContext, 'pod securityContext');
  const container = firstContainer(statefulSet);
  const security = asRecord(container.securityContext, 'securityContext');
  assert.equal(podSecurity.runAsNonRoot, true);
  assert.ok(typeof podSecurity.runAsUser === 'number' && podSecurity.runAsUser > 0);
  assert.equal(asRecord(podSecurity.seccompProfile, 'seccompProfile').type, 'RuntimeDefault');
  assert.equal(security.readOnlyRootFilesystem, true);
  assert.equal(security.allowPrivilegeEscalation, false);
  assert.deepEqual(asRecord(security.capabilities, 'capabilities').drop, ['ALL']);
  const resources = asRecord(container.resources, 'resources');
  for (const bound of ['requests', 'limits']) {
    const values = asRecord(resources[bound], bound);
    assert.ok(values.cpu !== undefined && values.memory !== undefined, bound);
  }
  assert.ok(isRecord(container.readinessProbe) && isRecord(container.livenessProbe));
});

test('the broker gets the very 20-lab.conf compose mounts, from the generated ConfigMap', () => {
  const configMap = find('ConfigMap', /^rabbitmq-config-/);
  assert.equal(asRecord(configMap.data, 'data')['20-lab.conf'], LAB_CONF);
  const statefulSet = find('StatefulSet', 'rabbitmq');
  const volume = optionalArray(podSpec(statefulSet).volumes, 'volumes').map((v) => asRecord(v, 'volume')).find((v) => v.name === 'config');
  assert.equal(asRecord(volume?.configMap, 'config volume').name, nameOf(configMap));
  const mount = optionalArray(firstContainer(statefulSet).volumeMounts, 'volumeMounts').map((m) => asRecord(m, 'mount')).find((m) => m.name === 'config');
  assert.equal(mount?.mountPath, '/etc/rabbitmq/conf.d/20-lab.conf');
});

test('the sidecar is patched into a consumer of the broker: QUEUE=rabbitmq, its URL from the Secret, several replicas', () => {
  const sidecar = find('Deployment', 'sidecar');
  const spec = asRecord(sidecar.spec, 'spec');
  assert.ok(typeof spec.replicas === 'number' && spec.replicas >= 2);
  assert.equal(asRecord(spec.strategy, 'strategy').type, 'RollingUpdate');
  const container = firstContainer(sidecar);
  const envVars = new Map(optionalArray(container.env, 'env').map((e) => { const r = asRecord(e, 'env'); return [asString(r.name, 'name'), r] as const; }));
  assert.equal(envVars.get('QUEUE')?.value, 'rabbitmq');
  const ref = asRecord(asRecord(envVars.get('QUEUE_URL')?.valueFrom, 'QUEUE_URL valueFrom').secretKeyRef, 'secretKeyRef');
  const secret = find('Secret', asString(ref.name, 'secret name'));
  const encoded = asRecord(secret.data, 'secret data')[asString(ref.key, 'secret key')];
  const url = new URL(Buffer.from(asString(encoded, 'QUEUE_URL'), 'base64').toString());
  assert.equal(url.hostname, nameOf(find('Service', 'rabbitmq')));
  assert.equal(url.protocol, 'amqp:');
  // What the base sets stays: ports, telemetry, the lab's settings.
  assert.ok(envVars.has('SIDECAR_GRPC_PORT'));
  assert.ok(optionalArray(container.envFrom, 'envFrom').length > 0);
});

test('a broker outage makes the sidecars unready, not restarted: readiness asks gRPC health, liveness only the port', () => {
  const container = firstContainer(find('Deployment', 'sidecar'));
  assert.ok(isRecord(asRecord(container.readinessProbe, 'readinessProbe').grpc));
  const liveness = asRecord(container.livenessProbe, 'livenessProbe');
  assert.equal(liveness.grpc, undefined);
  assert.equal(asRecord(liveness.tcpSocket, 'tcpSocket').port, 'grpc');
});

test('the component leaves deploy/k8s itself alone: there the sidecar keeps its memory queue', () => {
  const base = parseAllDocuments(runToolOk('kubectl', ['kustomize', 'deploy/k8s'])).map((d) => asRecord(d.toJS() as unknown, 'document'));
  assert.ok(!base.some((o) => o.kind === 'StatefulSet'));
  const sidecar = base.find((o) => o.kind === 'Deployment' && nameOf(o) === 'sidecar');
  assert.ok(sidecar);
  assert.ok(!optionalArray(firstContainer(sidecar).env, 'env').some((e) => isRecord(e) && e.name === 'QUEUE'));
});
