/**
 * deploy/k8s as `kubectl apply -k` would send it: rendered offline by
 * `kubectl kustomize`, each object checked against the Kubernetes API schemas
 * (kubernetes-models), and every pod held to the security and probe settings
 * the lab promises.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { parseAllDocuments } from 'yaml';
import { ROOT, asArray, asRecord, asString, isRecord, optionalArray, runTool, runToolOk, type JsonRecord } from './tools.ts';

const NAMESPACE = 'backlog-lab';
/** The services drain within this long after SIGTERM. */
const DRAIN_SECONDS = 10;

/** Kinds the manifests may contain: the model that validates each, and its TypeScript type for the strict check. */
const MODELS: Readonly<Record<string, { validate: (data: JsonRecord) => void; type: string; module: string }>> = {
  'v1/Namespace': { validate: (data) => { new Namespace(data).validate(); }, type: 'INamespace', module: 'kubernetes-models/v1/Namespace' },
  'v1/ServiceAccount': { validate: (data) => { new ServiceAccount(data).validate(); }, type: 'IServiceAccount', module: 'kubernetes-models/v1/ServiceAccount' },
  'v1/Service': { validate: (data) => { new Service(data).validate(); }, type: 'IService', module: 'kubernetes-models/v1/Service' },
  'v1/ConfigMap': { validate: (data) => { new ConfigMap(data).validate(); }, type: 'IConfigMap', module: 'kubernetes-models/v1/ConfigMap' },
  'apps/v1/Deployment': { validate: (data) => { new Deployment(data).validate(); }, type: 'IDeployment', module: 'kubernetes-models/apps/v1/Deployment' },
};

let rendered: JsonRecord[] | undefined;

/** `kubectl kustomize deploy/k8s`, parsed; rendered once for all the tests. */
function objects(): JsonRecord[] {
  rendered ??= parseAllDocuments(runToolOk('kubectl', ['kustomize', 'deploy/k8s'])).map((document, index) => {
    if (document.errors.length > 0) throw new Error(`document ${index}: ${document.errors.map(String).join('; ')}`);
    return asRecord(document.toJS() as unknown, `document ${index}`);
  });
  return rendered;
}

const kindOf = (object: JsonRecord): string => `${asString(object.apiVersion, 'apiVersion')}/${asString(object.kind, 'kind')}`;
const nameOf = (object: JsonRecord): string => asString(asRecord(object.metadata, 'metadata').name, 'metadata.name');
const describe = (object: JsonRecord): string => `${asString(object.kind, 'kind')}/${nameOf(object)}`;

function deployments(): JsonRecord[] {
  return objects().filter((object) => object.kind === 'Deployment');
}

function podSpec(deployment: JsonRecord): JsonRecord {
  return asRecord(asRecord(asRecord(deployment.spec, 'spec').template, 'template').spec, `${describe(deployment)} pod spec`);
}

function containers(deployment: JsonRecord): JsonRecord[] {
  return asArray(podSpec(deployment).containers, 'containers').map((item) => asRecord(item, `${describe(deployment)} container`));
}

function deployment(name: string): JsonRecord {
  const found = deployments().find((object) => nameOf(object) === name);
  assert.ok(found, `no Deployment ${name}`);
  return found;
}

test('kubectl kustomize renders deploy/k8s with the lab\'s pieces', () => {
  const names = objects().map(describe);
  for (const expected of [
    `Namespace/${NAMESPACE}`,
    'Deployment/sidecar', 'Service/sidecar',
    'Deployment/worker',
    'Deployment/worker-python', 'Service/worker-python-metrics',
    'Deployment/prometheus', 'Service/prometheus',
    'Deployment/tempo', 'Service/tempo',
    'Deployment/grafana', 'Service/grafana',
  ]) {
    assert.ok(names.includes(expected), `${expected} is missing from: ${names.join(', ')}`);
  }
});

test('every object validates against the Kubernetes schemas', () => {
  for (const object of objects()) {
    const model = MODELS[kindOf(object)];
    assert.ok(model, `${describe(object)}: no schema known for ${kindOf(object)}; add it to MODELS`);
    assert.doesNotThrow(() => { model.validate(object); }, `${describe(object)} does not validate`);
  }
});

/**
 * Fields the Kubernetes API does not know, as TypeScript reports them; empty
 * when there are none. kubernetes-models' JSON schemas allow unknown fields,
 * its TypeScript types do not: `satisfies` on an object literal reports every
 * excess property, at any depth.
 */
function unknownFields(list: readonly JsonRecord[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'k8s-objects-'));
  try {
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    const imports = new Set<string>();
    const body: string[] = [];
    list.forEach((object, index) => {
      const model = MODELS[kindOf(object)];
      assert.ok(model, `no schema known for ${kindOf(object)}`);
      imports.add(`import type { ${model.type} } from '${model.module}';`);
      body.push(`// ${describe(object)}`, `export const object${index} = ${JSON.stringify(object, null, 2)} satisfies ${model.type};`);
    });
    writeFileSync(path.join(dir, 'objects.ts'), `${[...imports, ...body].join('\n')}\n`);
    const compilerOptions = { noEmit: true, strict: true, skipLibCheck: true, target: 'es2024', module: 'preserve', moduleResolution: 'bundler', types: [] };
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['objects.ts'] }));
    const result = runTool(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir });
    return result.status === 0 ? '' : `${result.stdout}${result.stderr}` || `tsc exited ${result.status}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('no object has a field the Kubernetes API does not know (a typo would silently drop a setting)', () => {
  assert.equal(unknownFields(objects()), '');
});

test('a misspelt field is reported (the check above can fail)', () => {
  const worker = structuredClone(deployment('worker'));
  const [container] = containers(worker);
  assert.ok(container);
  container.readinesProbe = container.readinessProbe;
  delete container.readinessProbe;
  assert.match(unknownFields([worker]), /readinesProbe/);
});

test('every namespaced object is in the backlog-lab namespace', () => {
  for (const object of objects()) {
    if (object.kind === 'Namespace') continue;
    assert.equal(asRecord(object.metadata, 'metadata').namespace, NAMESPACE, `${describe(object)} is outside ${NAMESPACE}`);
  }
});

test('every pod runs as non-root with a read-only root filesystem, all capabilities dropped and no privilege escalation', () => {
  assert.ok(deployments().length >= 5);
  for (const item of deployments()) {
    const pod = podSpec(item);
    const podSecurity = isRecord(pod.securityContext) ? pod.securityContext : {};
    for (const container of containers(item)) {
      const where = `${describe(item)} container ${asString(container.name, 'name')}`;
      const security = asRecord(container.securityContext, `${where} securityContext`);
      assert.equal(security.runAsNonRoot ?? podSecurity.runAsNonRoot, true, `${where}: runAsNonRoot`);
      const uid = security.runAsUser ?? podSecurity.runAsUser;
      assert.ok(typeof uid === 'number' && uid > 0, `${where}: runAsUser must be a non-zero number so the kubelet can check runAsNonRoot`);
      assert.equal(security.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
      assert.equal(security.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
      assert.deepEqual(asRecord(security.capabilities, `${where} capabilities`).drop, ['ALL'], `${where}: capabilities.drop`);
      const seccomp = asRecord(security.seccompProfile ?? podSecurity.seccompProfile, `${where} seccompProfile`);
      assert.equal(seccomp.type, 'RuntimeDefault', `${where}: seccompProfile`);
    }
  }
});

test('every container has CPU and memory requests and limits', () => {
  for (const item of deployments()) {
    for (const container of containers(item)) {
      const where = `${describe(item)} container ${asString(container.name, 'name')}`;
      const resources = asRecord(container.resources, `${where} resources`);
      for (const bound of ['requests', 'limits']) {
        const values = asRecord(resources[bound], `${where} resources.${bound}`);
        assert.ok(values.cpu !== undefined && values.memory !== undefined, `${where}: ${bound} needs cpu and memory`);
      }
    }
  }
});

test('the sidecar and workers have gRPC readiness and liveness probes and time to drain', () => {
  for (const [name, port] of [['sidecar', 50051], ['worker', 50052], ['worker-python', 50052]] as const) {
    const item = deployment(name);
    const [container] = containers(item);
    assert.ok(container);
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      const grpc = asRecord(asRecord(container[probe], `${name} ${probe}`).grpc, `${name} ${probe}.grpc`);
      assert.equal(grpc.port, port, `${name} ${probe} asks the wrong port`);
    }
    const grace = podSpec(item).terminationGracePeriodSeconds;
    assert.ok(typeof grace === 'number' && grace > DRAIN_SECONDS, `${name}: terminationGracePeriodSeconds ${String(grace)} is not longer than the ${DRAIN_SECONDS} s drain`);
  }
});

test('there is one sidecar (the queue lives in its memory) and several workers to scale', () => {
  const sidecar = asRecord(deployment('sidecar').spec, 'sidecar spec');
  assert.equal(sidecar.replicas, 1);
  assert.equal(asRecord(sidecar.strategy, 'strategy').type, 'Recreate', 'a rolling update would run two sidecars, two queues');
  const workers = asRecord(deployment('worker').spec, 'worker spec').replicas;
  assert.ok(typeof workers === 'number' && workers >= 2);
});

test('Prometheus finds workers through a headless Service that lists pods that are not ready too', () => {
  const service = objects().find((object) => object.kind === 'Service' && nameOf(object) === 'worker-metrics');
  assert.ok(service, 'no Service worker-metrics (prometheus.yml resolves it)');
  const spec = asRecord(service.spec, 'worker-metrics spec');
  assert.equal(spec.clusterIP, 'None');
  assert.equal(spec.publishNotReadyAddresses, true);
  assert.match(readFileSync(path.join(ROOT, 'deploy/k8s/prometheus.yml'), 'utf8'), /names: \["worker-metrics"\]/);
});

test('every ConfigMap and ServiceAccount a pod refers to exists', () => {
  const configMaps = new Set(objects().filter((object) => object.kind === 'ConfigMap').map(nameOf));
  const accounts = new Set(objects().filter((object) => object.kind === 'ServiceAccount').map(nameOf));
  for (const item of deployments()) {
    const pod = podSpec(item);
    assert.ok(accounts.has(asString(pod.serviceAccountName, `${describe(item)} serviceAccountName`)), `${describe(item)}: no ServiceAccount ${String(pod.serviceAccountName)}`);
    for (const volume of optionalArray(pod.volumes, 'volumes').map((entry) => asRecord(entry, 'volume'))) {
      if (isRecord(volume.configMap)) assert.ok(configMaps.has(asString(volume.configMap.name, 'configMap name')), `${describe(item)}: no ConfigMap ${String(volume.configMap.name)}`);
    }
    for (const container of containers(item)) {
      for (const source of optionalArray(container.envFrom, 'envFrom').map((entry) => asRecord(entry, 'envFrom'))) {
        if (isRecord(source.configMapRef)) assert.ok(configMaps.has(asString(source.configMapRef.name, 'configMapRef name')));
      }
    }
  }
});

test('Grafana in Kubernetes gets the very dashboards, datasources and Tempo config that compose uses', () => {
  const configMap = (prefix: string): JsonRecord => {
    const found = objects().find((object) => object.kind === 'ConfigMap' && nameOf(object).startsWith(`${prefix}-`));
    assert.ok(found, `no ConfigMap ${prefix}`);
    return asRecord(found.data, `${prefix} data`);
  };
  const dashboardDir = path.join(ROOT, 'deploy/grafana/dashboards');
  const dashboards = configMap('grafana-dashboards');
  const files = readdirSync(dashboardDir).filter((name) => name.endsWith('.json')).sort();
  assert.deepEqual(Object.keys(dashboards).sort(), files, 'every dashboard file, and only those, is in the ConfigMap');
  for (const file of files) assert.equal(dashboards[file], readFileSync(path.join(dashboardDir, file), 'utf8'), file);
  assert.equal(configMap('grafana-datasources')['datasources.yaml'], readFileSync(path.join(ROOT, 'deploy/grafana/provisioning/datasources/datasources.yaml'), 'utf8'));
  assert.equal(configMap('tempo-config')['tempo.yaml'], readFileSync(path.join(ROOT, 'deploy/tempo/tempo.yaml'), 'utf8'));

  const mounts = optionalArray(containers(deployment('grafana'))[0]?.volumeMounts, 'volumeMounts').map((entry) => asRecord(entry, 'mount'));
  assert.ok(mounts.some((mount) => mount.mountPath === '/etc/grafana/dashboards'), 'Grafana does not mount the dashboards where the provider reads them');
});

test('Kubernetes runs the same Prometheus, Tempo and Grafana versions that .env pins for compose', () => {
  const env = readFileSync(path.join(ROOT, '.env'), 'utf8');
  for (const [name, variable] of [['prometheus', 'PROMETHEUS_IMAGE'], ['tempo', 'TEMPO_IMAGE'], ['grafana', 'GRAFANA_IMAGE']] as const) {
    const pinned = new RegExp(`^${variable}=(.+)$`, 'm').exec(env)?.[1];
    assert.ok(pinned, `.env has no ${variable}`);
    assert.equal(containers(deployment(name))[0]?.image, pinned, `deploy/k8s/${name}.yaml and .env ${variable} differ`);
  }
});
