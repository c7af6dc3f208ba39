/**
 * The optional autoscalers for the workers (deploy/k8s/components/{keda,hpa},
 * applied through deploy/k8s-overlays/{keda,hpa}): rendered offline by
 * `kubectl kustomize`, validated against the KEDA and Kubernetes schemas, and
 * checked to agree with each other, with prometheus-adapter's rules and with
 * the lab's Prometheus.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { autoscalerQueries } from './autoscalers.ts';
import { MODELS, NAMESPACE, describe, find, kindOf, nameOf, render, unknownFields } from './k8s.ts';
import { ROOT, asArray, asRecord, asString, runToolOk, type JsonRecord } from './tools.ts';

const OVERLAYS = { keda: 'deploy/k8s-overlays/keda', hpa: 'deploy/k8s-overlays/hpa' } as const;
const AUTOSCALER_KINDS = new Set(['ScaledObject', 'HorizontalPodAutoscaler']);

const autoscalers = (objects: readonly JsonRecord[]): JsonRecord[] => objects.filter((object) => AUTOSCALER_KINDS.has(String(object.kind)));
const spec = (object: JsonRecord): JsonRecord => asRecord(object.spec, `${describe(object)} spec`);

function scaledObject(): JsonRecord {
  return find(render(OVERLAYS.keda), 'ScaledObject', 'worker');
}

function hpa(): JsonRecord {
  return find(render(OVERLAYS.hpa), 'HorizontalPodAutoscaler', 'worker');
}

function triggers(): JsonRecord[] {
  return asArray(spec(scaledObject()).triggers, 'triggers').map((item) => asRecord(item, 'trigger'));
}

function adapterValues(): JsonRecord {
  const file = path.join(ROOT, 'deploy/k8s/components/hpa/prometheus-adapter-values.yaml');
  return asRecord(parseYaml(readFileSync(file, 'utf8')) as unknown, file);
}

function externalRules(): JsonRecord[] {
  return asArray(asRecord(adapterValues().rules, 'rules').external, 'rules.external').map((item) => asRecord(item, 'external rule'));
}

for (const overlay of Object.values(OVERLAYS)) {
  test(`kubectl kustomize renders ${overlay}: the whole lab plus one autoscaler for the workers`, () => {
    const base = render('deploy/k8s').map(describe).sort();
    const objects = render(overlay);
    const names = objects.map(describe);
    for (const expected of base) assert.ok(names.includes(expected), `${overlay} lacks ${expected}`);
    const scalers = autoscalers(objects);
    assert.equal(scalers.length, 1, `${overlay}: ${scalers.map(describe).join(', ')}`);
    const [scaler] = scalers;
    assert.ok(scaler);
    const target = asRecord(spec(scaler).scaleTargetRef, 'scaleTargetRef');
    assert.equal(target.name, 'worker');
    assert.equal(target.kind ?? 'Deployment', 'Deployment');
    for (const object of objects) {
      if (object.kind !== 'Namespace') assert.equal(asRecord(object.metadata, 'metadata').namespace, NAMESPACE, `${describe(object)} is outside ${NAMESPACE}`);
    }
  });

  test(`${overlay}: every object validates against its schema and has no field the API does not know`, () => {
    const objects = render(overlay);
    for (const object of objects) {
      const model = MODELS[kindOf(object)];
      assert.ok(model, `${describe(object)}: no schema known for ${kindOf(object)}`);
      assert.doesNotThrow(() => { model.validate(object); }, `${describe(object)} does not validate`);
    }
    // Only the objects the component adds or changes: the base has its own test.
    assert.equal(unknownFields(objects.filter((object) => AUTOSCALER_KINDS.has(String(object.kind)) || nameOf(object) === 'worker')), '');
  });

  test(`${overlay}: the worker Deployment leaves its replica count to the autoscaler`, () => {
    const worker = find(render(overlay), 'Deployment', 'worker');
    // With spec.replicas in the manifest, every `kubectl apply` would reset what the autoscaler chose.
    assert.equal(spec(worker).replicas, undefined);
    assert.ok(typeof spec(find(render('deploy/k8s'), 'Deployment', 'worker')).replicas === 'number', 'without an autoscaler the base keeps its replicas');
  });
}

test('the schema check catches a KEDA trigger whose threshold is a number, not a string', () => {
  const broken = structuredClone(scaledObject());
  const [trigger] = asArray(spec(broken).triggers, 'triggers').map((item) => asRecord(item, 'trigger'));
  assert.ok(trigger);
  asRecord(trigger.metadata, 'metadata').threshold = 50;
  const model = MODELS[kindOf(broken)];
  assert.ok(model);
  assert.throws(() => { model.validate(broken); });
});

test('the unknown-field check catches a misspelt ScaledObject field', () => {
  const broken = structuredClone(scaledObject());
  const body = spec(broken);
  body.maxReplicas = body.maxReplicaCount; // the HPA's spelling, which KEDA ignores
  delete body.maxReplicaCount;
  assert.match(unknownFields([broken]), /maxReplicas/);
});

test('KEDA reads the lab\'s Prometheus through its Service, with Prometheus triggers whose thresholds are positive numbers', () => {
  const service = find(render(OVERLAYS.keda), 'Service', 'prometheus');
  const [port] = asArray(spec(service).ports, 'ports').map((item) => asRecord(item, 'port'));
  const expected = `http://prometheus.${NAMESPACE}.svc:${String(port?.port)}`;
  assert.ok(triggers().length > 0);
  for (const trigger of triggers()) {
    assert.equal(trigger.type, 'prometheus');
    const metadata = asRecord(trigger.metadata, 'trigger metadata');
    // KEDA runs in its own namespace: the address must name this one.
    assert.equal(metadata.serverAddress, expected);
    assert.ok(Number(asString(metadata.threshold, 'threshold')) > 0, `${String(trigger.name)}: threshold`);
    assert.ok(['AverageValue', 'Value'].includes(String(trigger.metricType)), `${String(trigger.name)}: say metricType`);
  }
});

test('the replica bounds stop at one worker and leave a scale-down window of minutes', () => {
  const keda = spec(scaledObject());
  assert.ok(Number(keda.minReplicaCount) >= 1, 'at 0 workers the dashboards show nothing and stream backlogs wait for activation');
  assert.ok(Number(keda.maxReplicaCount) > Number(keda.minReplicaCount));
  const behavior = asRecord(asRecord(asRecord(keda.advanced, 'advanced').horizontalPodAutoscalerConfig, 'horizontalPodAutoscalerConfig').behavior, 'behavior');
  const window = asRecord(behavior.scaleDown, 'scaleDown').stabilizationWindowSeconds;
  assert.ok(typeof window === 'number' && window >= 120, `scale-down stabilisation ${String(window)} s`);
});

test('the plain HPA scales on the same metrics, targets, bounds and behaviour as the ScaledObject', () => {
  const keda = spec(scaledObject());
  const plain = spec(hpa());
  assert.equal(plain.minReplicas, keda.minReplicaCount);
  assert.equal(plain.maxReplicas, keda.maxReplicaCount);
  assert.deepEqual(plain.behavior, asRecord(asRecord(keda.advanced, 'advanced').horizontalPodAutoscalerConfig, 'hpa config').behavior);
  const metrics = asArray(plain.metrics, 'metrics').map((item) => asRecord(item, 'metric'));
  assert.equal(metrics.length, triggers().length);
  metrics.forEach((metric, index) => {
    const trigger = triggers()[index];
    assert.ok(trigger);
    assert.equal(metric.type, 'External');
    const target = asRecord(asRecord(metric.external, 'external').target, 'target');
    const threshold = asString(asRecord(trigger.metadata, 'metadata').threshold, 'threshold');
    assert.equal(target.type, trigger.metricType, `metric ${index}`);
    assert.equal(String(target.type === 'AverageValue' ? target.averageValue : target.value), threshold, `metric ${index}`);
  });
});

test('prometheus-adapter serves each External metric the HPA asks for, with the KEDA trigger\'s query word for word', () => {
  const rules = externalRules();
  const names = asArray(spec(hpa()).metrics, 'metrics').map((item) => asString(asRecord(asRecord(asRecord(item, 'metric').external, 'external').metric, 'metric').name, 'metric name'));
  assert.equal(rules.length, names.length);
  names.forEach((name, index) => {
    const rule = rules.find((item) => asRecord(item.name, 'name').as === name);
    assert.ok(rule, `no external rule serves ${name}`);
    // The series carry no namespace label (found by DNS): a namespaced rule would add namespace="backlog-lab" and match nothing.
    assert.equal(asRecord(rule.resources, 'resources').namespaced, false, `${name}: namespaced`);
    assert.match(asString(rule.seriesQuery, 'seriesQuery'), new RegExp(asString(asRecord(rule.name, 'name').matches, 'matches').replace(/^\^|\$$/g, '')));
    assert.equal(rule.metricsQuery, asRecord(triggers()[index]?.metadata, 'metadata').query, `${name}: adapter and KEDA disagree`);
  });
  const prometheus = asRecord(adapterValues().prometheus, 'prometheus');
  assert.equal(`${String(prometheus.url)}:${String(prometheus.port)}`, asRecord(triggers()[0]?.metadata, 'metadata').serverAddress);
  assert.equal(asRecord(adapterValues().rules, 'rules').default, false);
});

test('every autoscaler query is PromQL', () => {
  const queries = autoscalerQueries();
  assert.ok(queries.length >= 2);
  const dir = mkdtempSync(path.join(tmpdir(), 'autoscaler-queries-'));
  try {
    const lines = ['groups:', '  - name: autoscaler-queries', '    rules:'];
    queries.forEach((query, index) => { lines.push(`      - record: autoscaler:query_${index}`, `        expr: ${JSON.stringify(query.promql)}`); });
    writeFileSync(path.join(dir, 'rules.yml'), `${lines.join('\n')}\n`);
    runToolOk('promtool', ['check', 'rules', path.join(dir, 'rules.yml')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
