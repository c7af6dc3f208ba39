/**
 * deploy/k8s as `kubectl apply -k` would send it: rendered offline by
 * `kubectl kustomize`, each object checked against the Kubernetes API schemas
 * (kubernetes-models), and every pod held to the security and probe settings
 * the lab promises.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import {
  MODELS,
  NAMESPACE,
  containers,
  describe,
  find,
  generatedConfigMap,
  kindOf,
  nameOf,
  podSpec,
  render,
  unknownFields,
  volumeConfigMaps,
} from './k8s.ts';
import { ROOT, asRecord, asString, isRecord, optionalArray, runToolOk, type JsonRecord } from './tools.ts';

/** The services drain within this long after SIGTERM. */
const DRAIN_SECONDS = 10;

/** `kubectl kustomize deploy/k8s`, parsed; rendered once for all the tests. */
const objects = (): JsonRecord[] => render('deploy/k8s');

function deployments(): JsonRecord[] {
  return objects().filter((object) => object.kind === 'Deployment');
}

const deployment = (name: string): JsonRecord => find(objects(), 'Deployment', name);

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

test('Prometheus finds every sidecar pod through a headless Service too, so several sidecars (RabbitMQ behind them) are each scraped', () => {
  const spec = asRecord(find(objects(), 'Service', 'sidecar-metrics').spec, 'sidecar-metrics spec');
  assert.equal(spec.clusterIP, 'None');
  assert.equal(spec.publishNotReadyAddresses, true);
  assert.equal(asRecord(spec.selector, 'selector')['app.kubernetes.io/name'], 'sidecar');
  assert.match(readFileSync(path.join(ROOT, 'deploy/k8s/prometheus.yml'), 'utf8'), /names: \["sidecar-metrics"\]/);
});

test('every ConfigMap and ServiceAccount a pod refers to exists', () => {
  const configMaps = new Set(objects().filter((object) => object.kind === 'ConfigMap').map(nameOf));
  const accounts = new Set(objects().filter((object) => object.kind === 'ServiceAccount').map(nameOf));
  for (const item of deployments()) {
    const pod = podSpec(item);
    assert.ok(accounts.has(asString(pod.serviceAccountName, `${describe(item)} serviceAccountName`)), `${describe(item)}: no ServiceAccount ${String(pod.serviceAccountName)}`);
    for (const volume of optionalArray(pod.volumes, 'volumes').map((entry) => asRecord(entry, 'volume'))) {
      for (const name of volumeConfigMaps(volume)) assert.ok(configMaps.has(name), `${describe(item)}: no ConfigMap ${name}`);
    }
    for (const container of containers(item)) {
      for (const source of optionalArray(container.envFrom, 'envFrom').map((entry) => asRecord(entry, 'envFrom'))) {
        if (isRecord(source.configMapRef)) assert.ok(configMaps.has(asString(source.configMapRef.name, 'configMapRef name')));
      }
    }
  }
});

test('Kubernetes gets the very dashboards, datasources, Tempo config and alert rules that compose uses', () => {
  const configMap = (prefix: string): JsonRecord => asRecord(generatedConfigMap(objects(), prefix).data, `${prefix} data`);
  const dashboardDir = path.join(ROOT, 'deploy/grafana/dashboards');
  const dashboards = configMap('grafana-dashboards');
  const files = readdirSync(dashboardDir).filter((name) => name.endsWith('.json')).sort();
  assert.deepEqual(Object.keys(dashboards).sort(), files, 'every dashboard file, and only those, is in the ConfigMap');
  for (const file of files) assert.equal(dashboards[file], readFileSync(path.join(dashboardDir, file), 'utf8'), file);
  assert.equal(configMap('grafana-datasources')['datasources.yaml'], readFileSync(path.join(ROOT, 'deploy/grafana/provisioning/datasources/datasources.yaml'), 'utf8'));
  assert.equal(configMap('tempo-config')['tempo.yaml'], readFileSync(path.join(ROOT, 'deploy/tempo/tempo.yaml'), 'utf8'));
  const rulesDir = path.join(ROOT, 'deploy/prometheus/rules');
  const rules = configMap('prometheus-rules');
  const ruleFiles = readdirSync(rulesDir).filter((name) => name.endsWith('.rules.yml')).sort();
  assert.deepEqual(Object.keys(rules).sort(), ruleFiles, 'every rules file, and no unit test, is in the ConfigMap');
  for (const file of ruleFiles) assert.equal(rules[file], readFileSync(path.join(rulesDir, file), 'utf8'), file);

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

/**
 * The Prometheus pod's view of its volumes: every ConfigMap key written where
 * the Deployment mounts it (projected ConfigMaps side by side), under `root`.
 * Returns the host path of the --config.file.
 */
function layOutPrometheusPod(root: string): string {
  const item = deployment('prometheus');
  const pod = podSpec(item);
  const [container] = containers(item);
  assert.ok(container);
  const volumes = new Map(optionalArray(pod.volumes, 'volumes').map((entry) => {
    const volume = asRecord(entry, 'volume');
    return [asString(volume.name, 'volume name'), volume] as const;
  }));
  for (const mount of optionalArray(container.volumeMounts, 'volumeMounts').map((entry) => asRecord(entry, 'mount'))) {
    const volume = volumes.get(asString(mount.name, 'mount name'));
    assert.ok(volume, `prometheus mounts a volume it does not define: ${String(mount.name)}`);
    for (const name of volumeConfigMaps(volume)) {
      const data = asRecord(find(objects(), 'ConfigMap', name).data, `${name} data`);
      const dir = path.join(root, asString(mount.mountPath, 'mountPath'));
      mkdirSync(dir, { recursive: true });
      for (const [key, value] of Object.entries(data)) writeFileSync(path.join(dir, key), asString(value, `${name} ${key}`));
    }
  }
  const flag = optionalArray(container.args, 'prometheus args').map(String).find((arg) => arg.startsWith('--config.file='));
  assert.ok(flag, 'prometheus has no --config.file');
  return path.join(root, flag.slice('--config.file='.length));
}

test('Prometheus in Kubernetes finds its config and every alert rule where its volumes put them', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'prometheus-pod-'));
  try {
    const config = layOutPrometheusPod(root);
    // promtool resolves rule_files as Prometheus does (relative to the config file) and checks each file found.
    const output = runToolOk('promtool', ['check', 'config', config]);
    const ruleFiles = readdirSync(path.join(ROOT, 'deploy/prometheus/rules')).filter((name) => name.endsWith('.rules.yml'));
    assert.ok(ruleFiles.length > 0);
    for (const file of ruleFiles) assert.match(output, new RegExp(`Checking \\S*/${file.replaceAll('.', '\\.')}\\n\\s+SUCCESS: \\d+ rules found`), `${file} is not loaded:\n${output}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('Prometheus in Kubernetes scrapes what the compose one scrapes, but for the workers\' and sidecars\' Service names', () => {
  const jobs = (file: string): unknown => {
    const config = asRecord(parseYaml(readFileSync(path.join(ROOT, file), 'utf8')) as unknown, file);
    return JSON.parse(JSON.stringify(config.scrape_configs).replaceAll('"worker-metrics"', '"worker"').replaceAll('"worker-python-metrics"', '"worker-python"').replaceAll('"sidecar-metrics"', '"sidecar"')) as unknown;
  };
  assert.deepEqual(jobs('deploy/k8s/prometheus.yml'), jobs('deploy/prometheus/prometheus.yml'));
});
