/**
 * The autoscale scenario's controller against the Kubernetes HPA's rules
 * (pkg/controller/podautoscaler: replica_calculator.go and horizontal.go),
 * without processes: what it recommends, how fast it may grow, and when it
 * may shrink.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHpa, recommendReplicas, type HpaParams } from '../../experiments/scenarios/autoscale.ts';

const HPA: HpaParams = {
  minReplicas: 2,
  maxReplicas: 10,
  syncPeriodS: 1,
  tolerance: 0.1,
  scaleUp: { stabilizationS: 0, policies: [{ type: 'pods', value: 4, periodS: 1 }, { type: 'percent', value: 100, periodS: 1 }] },
  scaleDown: { stabilizationS: 5, policies: [{ type: 'percent', value: 100, periodS: 1 }] },
};

test('an AverageValue target asks for ceil(total / target) replicas, and nothing changes within the tolerance', () => {
  assert.equal(recommendReplicas('AverageValue', 380, 50, 2, 2, 0.1), 8);
  // 105 over 2 replicas is 1.05 × the target: within 10 %.
  assert.equal(recommendReplicas('AverageValue', 105, 50, 2, 2, 0.1), 2);
  assert.equal(recommendReplicas('AverageValue', 0, 50, 2, 2, 0.1), 0);
  // The average is over the replicas that exist, ready or not.
  assert.equal(recommendReplicas('AverageValue', 500, 50, 6, 2, 0.1), 10);
});

test('a Value target multiplies the ready replicas by value / target', () => {
  assert.equal(recommendReplicas('Value', 3, 1.25, 6, 2, 0.1), 5);
  assert.equal(recommendReplicas('Value', 1.3, 1.25, 6, 2, 0.1), 6);
});

test('scale-up is limited to max(4 pods, 100 %) per period, then to max replicas', () => {
  const hpa = createHpa(HPA, 2, 0);
  assert.deepEqual(hpa.decide(2, 20, 1), { recommended: 20, stabilized: 20, desired: 6, limitedBy: 'scale-up rate' });
  // Half a period later the 4 just added still count against the period.
  assert.equal(hpa.decide(6, 20, 1.5).desired, 6);
  // A period later: 100 % of 6 would be 12, max replicas is 10.
  assert.deepEqual(hpa.decide(6, 20, 2.1), { recommended: 20, stabilized: 20, desired: 10, limitedBy: 'max replicas' });
});

test('scale-down waits for the highest recommendation of the window, and stops at min replicas', () => {
  const hpa = createHpa(HPA, 2, 0);
  assert.equal(hpa.decide(2, 10, 1).desired, 6);
  assert.equal(hpa.decide(6, 10, 2.1).desired, 10);
  // The metric falls to nothing: the window still holds a 10.
  for (const t of [3, 4, 5, 6, 7]) assert.deepEqual(hpa.decide(10, 0, t), { recommended: 0, stabilized: 10, desired: 10, limitedBy: 'stabilization' });
  // Once the last 10 is older than 5 s: straight down to min replicas (100 % per period allows it all).
  assert.deepEqual(hpa.decide(10, 0, 7.2), { recommended: 0, stabilized: 0, desired: 2, limitedBy: 'min replicas' });
});

test('nothing scales down before a whole window has passed since the first sync', () => {
  const hpa = createHpa(HPA, 4, 0);
  assert.equal(hpa.decide(4, 1, 1).desired, 4);
  assert.equal(hpa.decide(4, 1, 4.9).desired, 4);
  assert.equal(hpa.decide(4, 1, 5.1).desired, 2);
});

test('a scale-down policy of one pod per period removes one at a time', () => {
  const hpa = createHpa({ ...HPA, scaleDown: { stabilizationS: 0, policies: [{ type: 'pods', value: 1, periodS: 3 }] } }, 6, 0);
  assert.deepEqual(hpa.decide(6, 2, 1), { recommended: 2, stabilized: 2, desired: 5, limitedBy: 'scale-down rate' });
  assert.equal(hpa.decide(5, 2, 2).desired, 5);
  assert.equal(hpa.decide(5, 2, 4.5).desired, 4);
});
