/**
 * The PromQL the worker autoscalers run (KEDA's Prometheus triggers and
 * prometheus-adapter's external rules), read from the files in
 * deploy/k8s/components, for tests that parse them or run them against a live
 * Prometheus.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT, asArray, asRecord, asString } from './tools.ts';

export interface AutoscalerQuery {
  /** e.g. `keda trigger outstanding-messages`. */
  where: string;
  promql: string;
}

function readYaml(file: string): Record<string, unknown> {
  const full = path.join(ROOT, file);
  return asRecord(parseYaml(readFileSync(full, 'utf8')) as unknown, file);
}

export function autoscalerQueries(): AutoscalerQuery[] {
  const scaledObject = readYaml('deploy/k8s/components/keda/scaledobject.yaml');
  const keda = asArray(asRecord(scaledObject.spec, 'ScaledObject spec').triggers, 'triggers').map((item) => {
    const trigger = asRecord(item, 'trigger');
    return { where: `keda trigger ${asString(trigger.name, 'trigger name')}`, promql: asString(asRecord(trigger.metadata, 'metadata').query, 'query') };
  });
  const values = readYaml('deploy/k8s/components/hpa/prometheus-adapter-values.yaml');
  const adapter = asArray(asRecord(values.rules, 'rules').external, 'rules.external').map((item) => {
    const rule = asRecord(item, 'external rule');
    // No <<.Series>> or <<.LabelMatchers>> placeholders: the rules are not namespaced and take no selector.
    return { where: `prometheus-adapter ${asString(asRecord(rule.name, 'name').as, 'name.as')}`, promql: asString(rule.metricsQuery, 'metricsQuery') };
  });
  return [...keda, ...adapter];
}
