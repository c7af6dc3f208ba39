/**
 * Kubernetes manifests as `kubectl apply -k` would send them, for the stack
 * tests: rendered offline by `kubectl kustomize`, and checked against the API
 * schemas of kubernetes-models (and @kubernetes-models/keda for KEDA's
 * ScaledObject), both at run time and, for misspelt fields, through their
 * TypeScript types.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { ScaledObject, type IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { parseAllDocuments } from 'yaml';
import { ROOT, asArray, asRecord, asString, isRecord, optionalArray, runTool, runToolOk, type JsonRecord } from './tools.ts';

export const NAMESPACE = 'backlog-lab';

/** Kinds the manifests may contain: the model that validates each, and its TypeScript type for the strict check. */
export const MODELS: Readonly<Record<string, { validate: (data: JsonRecord) => void; type: string; module: string }>> = {
  'v1/Namespace': { validate: (data) => { new Namespace(data).validate(); }, type: 'INamespace', module: 'kubernetes-models/v1/Namespace' },
  'v1/ServiceAccount': { validate: (data) => { new ServiceAccount(data).validate(); }, type: 'IServiceAccount', module: 'kubernetes-models/v1/ServiceAccount' },
  'v1/Service': { validate: (data) => { new Service(data).validate(); }, type: 'IService', module: 'kubernetes-models/v1/Service' },
  'v1/ConfigMap': { validate: (data) => { new ConfigMap(data).validate(); }, type: 'IConfigMap', module: 'kubernetes-models/v1/ConfigMap' },
  'v1/Secret': { validate: (data) => { new Secret(data).validate(); }, type: 'ISecret', module: 'kubernetes-models/v1/Secret' },
  'apps/v1/Deployment': { validate: (data) => { new Deployment(data).validate(); }, type: 'IDeployment', module: 'kubernetes-models/apps/v1/Deployment' },
  'apps/v1/StatefulSet': { validate: (data) => { new StatefulSet(data).validate(); }, type: 'IStatefulSet', module: 'kubernetes-models/apps/v1/StatefulSet' },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    // Their constructors' types require `spec`; validate() is what checks that.
    validate: (data) => { new HorizontalPodAutoscaler(data as unknown as IHorizontalPodAutoscaler).validate(); },
    type: 'IHorizontalPodAutoscaler',
    module: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
  },
  'keda.sh/v1alpha1/ScaledObject': {
    validate: (data) => { new ScaledObject(data as unknown as IScaledObject).validate(); },
    type: 'IScaledObject',
    module: '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject',
  },
};

const renders = new Map<string, JsonRecord[]>();

/** `kubectl kustomize DIR` (relative to the repository root), parsed; each folder rendered once per test file. */
export function render(dir: string): JsonRecord[] {
  let objects = renders.get(dir);
  if (objects === undefined) {
    objects = parseAllDocuments(runToolOk('kubectl', ['kustomize', dir])).map((document, index) => {
      if (document.errors.length > 0) throw new Error(`${dir} document ${index}: ${document.errors.map(String).join('; ')}`);
      return asRecord(document.toJS() as unknown, `${dir} document ${index}`);
    });
    renders.set(dir, objects);
  }
  return objects;
}

export const kindOf = (object: JsonRecord): string => `${asString(object.apiVersion, 'apiVersion')}/${asString(object.kind, 'kind')}`;
export const nameOf = (object: JsonRecord): string => asString(asRecord(object.metadata, 'metadata').name, 'metadata.name');
export const describe = (object: JsonRecord): string => `${asString(object.kind, 'kind')}/${nameOf(object)}`;

export function podSpec(deployment: JsonRecord): JsonRecord {
  return asRecord(asRecord(asRecord(deployment.spec, 'spec').template, 'template').spec, `${describe(deployment)} pod spec`);
}

export function containers(deployment: JsonRecord): JsonRecord[] {
  return asArray(podSpec(deployment).containers, 'containers').map((item) => asRecord(item, `${describe(deployment)} container`));
}

/** Its init containers, native sidecars (restartPolicy: Always) among them; none: empty. */
export function initContainers(deployment: JsonRecord): JsonRecord[] {
  return optionalArray(podSpec(deployment).initContainers, 'initContainers').map((item) => asRecord(item, `${describe(deployment)} init container`));
}

/** The one object of that kind and name; fails the test if there is none. */
export function find(objects: readonly JsonRecord[], kind: string, name: string): JsonRecord {
  const found = objects.find((object) => object.kind === kind && nameOf(object) === name);
  assert.ok(found, `no ${kind} ${name} in: ${objects.map(describe).join(', ')}`);
  return found;
}

/** The ConfigMap kustomize generated under this name (it appends a content hash). */
export function generatedConfigMap(objects: readonly JsonRecord[], prefix: string): JsonRecord {
  const found = objects.find((object) => object.kind === 'ConfigMap' && nameOf(object).startsWith(`${prefix}-`));
  assert.ok(found, `no ConfigMap ${prefix}`);
  return found;
}

/** Names of the ConfigMaps a pod volume shows, directly or projected. */
export function volumeConfigMaps(volume: JsonRecord): string[] {
  if (isRecord(volume.configMap)) return [asString(volume.configMap.name, 'configMap name')];
  if (isRecord(volume.projected)) {
    return optionalArray(volume.projected.sources, 'projected sources').map((source) => asRecord(source, 'projected source'))
      .filter((source) => isRecord(source.configMap))
      .map((source) => asString(asRecord(source.configMap, 'configMap').name, 'configMap name'));
  }
  return [];
}

/**
 * Fields the Kubernetes API does not know, as TypeScript reports them; empty
 * when there are none. The models' JSON schemas allow unknown fields, their
 * TypeScript types do not: `satisfies` on an object literal reports every
 * excess property, at any depth.
 */
export function unknownFields(list: readonly JsonRecord[]): string {
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
