/**
 * The conclusion: per stack and queue that ran, sentences that say what was
 * measured and what it means, each only if its data is there. Two come from
 * the figures every session run answers; each scenario adds its own; the
 * answer at the end gathers what each scenario found against the unbounded
 * mode and for the bounded ones.
 */
import type { Profile } from '../profiles.ts';
import { formatSeconds } from '../report/format.ts';
import type { ConclusionGroup, VariantSummary } from '../results.ts';
import { ranIds, REGISTRY, type ParamsOf, type Registry, type RunOf, type ScenarioId, type ScenarioResultsMap, type ScenarioResultsOf, type SummaryOf } from '../scenarios/index.ts';
import { MODES, type ModeId } from '../variants/modes.ts';
import type { QueueId } from '../variants/queues.ts';
import type { StackId } from '../variants/stacks.ts';
import { stackAndQueue, variantKey, variantOrder, type Variant } from '../variants/variant.ts';
import type { Comparison, Evidence } from './comparison.ts';

interface Group {
  readonly stack: StackId;
  readonly queue: QueueId;
}

export function conclude(variants: readonly Variant[], scenarios: ScenarioResultsMap, summary: readonly VariantSummary[], profile: Profile): ConclusionGroup[] {
  return groupsOf(variants).map((group) => {
    const ofGroup = summary.filter((m) => stackAndQueue(m.variant) === stackAndQueue(group));
    const sentences: string[] = [...commonSentences(ofGroup)];
    const evidence: Evidence[] = [];
    for (const id of ranIds(scenarios)) {
      const found = scenarioConclusion(REGISTRY[id], scenarios[id], group, profile);
      sentences.push(...found.sentences);
      if (found.evidence) evidence.push(found.evidence);
    }
    const verdict = answer(ofGroup, evidence);
    if (verdict) sentences.push(verdict);
    return { ...group, sentences };
  });
}

function groupsOf(variants: readonly Variant[]): Group[] {
  const seen = new Map<string, Group>();
  for (const v of [...variants].sort((a, b) => variantOrder({ ...a, mode: 'stream' }) - variantOrder({ ...b, mode: 'stream' }))) {
    seen.set(stackAndQueue(v), { stack: v.stack, queue: v.queue });
  }
  return [...seen.values()];
}

function scenarioConclusion<K extends ScenarioId>(scenario: Registry[K], results: ScenarioResultsOf<K> | undefined, group: Group, profile: Profile): { sentences: string[]; evidence?: Evidence } {
  if (!results) return { sentences: [] };
  const entries = Object.values(results.runs)
    .filter((run) => stackAndQueue(run.variant) === stackAndQueue(group))
    .sort((a, b) => variantOrder(a.variant) - variantOrder(b.variant))
    .map((run) => ({ variant: run.variant, run, summary: results.summary[variantKey(run.variant)] }));
  if (entries.length === 0) return { sentences: [] };
  const c: Comparison<RunOf<K>, SummaryOf<K>, ParamsOf<K>> = {
    ...group,
    entries,
    unbounded: entries.find((e) => MODES[e.variant.mode].bound === null),
    bounded: entries.filter((e) => MODES[e.variant.mode].bound !== null),
    params: results.params,
    profile,
  };
  return { sentences: scenario.conclude?.(c) ?? [], evidence: scenario.evidence?.(c) };
}

function unboundedOf(ofGroup: readonly VariantSummary[]): VariantSummary | undefined {
  return ofGroup.find((m) => MODES[m.variant.mode].bound === null);
}

function commonSentences(ofGroup: readonly VariantSummary[]): string[] {
  const out: string[] = [];
  const u = unboundedOf(ofGroup);
  const bounded = ofGroup.filter((m) => m !== u);
  if (u?.maxInTransit && bounded.some((m) => m.maxInTransit)) {
    const others = bounded.filter((m) => m.maxInTransit).map((m) => `${m.variant.mode} ${m.maxInTransit?.value}`).join(', ');
    out.push(`**In transit.** In \`${u.variant.mode}\` mode up to ${u.maxInTransit.value} messages sat in transit to one worker (${u.maxInTransit.scenario}), sent but not started, with no say from the worker. With credits or polling the worker set the bound: ${others}.`);
  }
  if (u?.backlog && bounded.some((m) => m.backlog)) {
    const worst = bounded.filter((m) => m.backlog).reduce((a, b) => ((a.backlog?.distribution.max ?? 0) >= (b.backlog?.distribution.max ?? 0) ? a : b));
    out.push(`**Client backlog.** Under the same load (${u.backlog.scenario}), messages waited in the \`${u.variant.mode}\` worker's client backlog ${formatSeconds(u.backlog.distribution.p50)} at the median and up to ${formatSeconds(u.backlog.distribution.max)}, out of the sidecar's sight; the longest any credit or poll message waited there was ${formatSeconds(worst.backlog?.distribution.max)} (${worst.variant.mode}). The work waits either way when load exceeds capacity, but only in the sidecar's queue can it still be given to another worker or reordered.`);
  }
  return out;
}

function answer(ofGroup: readonly VariantSummary[], evidence: readonly Evidence[]): string | undefined {
  const u = unboundedOf(ofGroup);
  const bounded = ofGroup.filter((m) => m !== u);
  if (!u?.maxInTransit || bounded.length === 0) return undefined;
  // Only what this run measured goes into the verdict.
  const against = [...new Set(evidence.flatMap((e) => (e.against ? [e.against] : [])))];
  const held = bounded.filter((m) => m.maxInTransit && m.maxInTransit.value <= (MODES[m.variant.mode].bound ?? 0)).map((m) => m.variant.mode);
  const kept = [
    ...(held.length > 0 ? [{ clause: 'held no more than the worker asked for', modes: held }] : []),
    ...evidence.flatMap((e) => (e.kept ? [e.kept] : [])),
  ].map((k) => `${k.clause} (${k.modes.map((m: ModeId) => `\`${m}\``).join(', ')})`);
  return `**Answer.** Plain gRPC server streaming hands control of the messages to the transport: up to ${u.maxInTransit.value} in transit to one worker${against.length > 0 ? `, and ${against.join('; ')}` : ''}. ${kept.length > 0 ? `Application-level flow control kept it with the sidecar: it ${kept.join(' and ')}. ` : ''}So stream between sidecar and service only with credits (a prefetch the worker grants, one ack per message), or pull one message per free slot; plain streaming is a fit only for work that may be lost and need not be balanced.`;
}

