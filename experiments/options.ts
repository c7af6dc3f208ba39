/** The runner's command line: parsed and checked once, with errors that say what is accepted. */
import { isAbsolute, resolve } from 'node:path';
import { parseFlags, UsageError } from '../tools/lib/cli.ts';
import type { ProfileName } from './profiles.ts';
import { SCENARIO_IDS, type ScenarioId } from './scenarios/index.ts';
import { MODE_IDS, type ModeId } from './variants/modes.ts';
import { DEFAULT_QUEUE_IDS, QUEUE_IDS, type QueueId } from './variants/queues.ts';
import { STACK_IDS, type StackId } from './variants/stacks.ts';

export const USAGE = `Usage: npm run experiment -- [options]

  --quick                 scaled-down delays and durations (a few minutes in all)
  --scenario LIST         comma-separated, from: ${SCENARIO_IDS.join(', ')}
                          (default: all; size-sweep always runs in stream mode,
                          sizing in credit mode)
  --mode LIST             delivery modes, from: ${MODE_IDS.join(', ')} (default: all)
  --stack LIST            worker client stacks, from: ${STACK_IDS.join(', ')} (default: all)
  --queue LIST            queues behind the sidecar, from: ${QUEUE_IDS.join(', ')}
                          (default: ${DEFAULT_QUEUE_IDS.join(', ')}; rabbitmq starts a RabbitMQ node through the
                          harness, Debian's rabbitmq-server; topology always runs on rabbitmq)
  --out DIR               where results.json, report.md and the charts go
                          (default: reports/experiment-<date>-<time>[-quick])
  --rerender              run nothing: rewrite report.md and the charts of --out
                          from its results.json
  --update                run the scenarios asked for on the variants asked for and put
                          each run into the results.json of --out in place of that
                          scenario's run on that variant (same profile); every other
                          run in it is kept
  --help                  this text

Every scenario runs once per mode × stack × queue asked for.
Example: npm run experiment -- --quick --scenario hoard,kill --mode stream,poll
`;

export interface RunOptions {
  readonly profile: ProfileName;
  readonly scenarios: readonly ScenarioId[];
  readonly modes: readonly ModeId[];
  readonly stacks: readonly StackId[];
  readonly queues: readonly QueueId[];
  readonly outDir: string;
  /** --out was an absolute path: the runner prints the report's path the same way. */
  readonly outAbsolute: boolean;
  /** Only rewrite the report from an existing results.json. */
  readonly rerender: boolean;
  /** Replace the asked-for scenarios in an existing results.json and keep the rest. */
  readonly update: boolean;
  readonly help: boolean;
}

export function parseRunOptions(argv: readonly string[], now = new Date(), cwd = process.cwd()): RunOptions {
  const values = parseFlags(argv, {
    quick: { type: 'boolean', default: false },
    scenario: { type: 'string', multiple: true },
    mode: { type: 'string', multiple: true },
    stack: { type: 'string', multiple: true },
    queue: { type: 'string', multiple: true },
    out: { type: 'string' },
    rerender: { type: 'boolean', default: false },
    update: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  const profile: ProfileName = values.quick ? 'quick' : 'default';
  if (values.out === '') throw new UsageError('--out needs a directory');
  if (values.rerender && values.out === undefined) throw new UsageError('--rerender needs --out DIR, the run to rewrite');
  if (values.update && values.out === undefined) throw new UsageError('--update needs --out DIR, the run to update');
  if (values.update && values.rerender) throw new UsageError('--update runs scenarios, --rerender runs none: give one of them');
  const stamp = now.toISOString().replace(/\.\d+Z$/, '').replace(/[-:]/g, '').replace('T', '-');
  const out = values.out ?? `reports/experiment-${stamp}${profile === 'quick' ? '-quick' : ''}`;
  return {
    profile,
    scenarios: pickList('--scenario', values.scenario, SCENARIO_IDS),
    modes: pickList('--mode', values.mode, MODE_IDS),
    stacks: pickList('--stack', values.stack, STACK_IDS),
    queues: pickList('--queue', values.queue, QUEUE_IDS, DEFAULT_QUEUE_IDS),
    outDir: resolve(cwd, out),
    outAbsolute: isAbsolute(out),
    rerender: values.rerender,
    update: values.update,
    help: values.help,
  };
}

/** Splits repeated, comma-separated values; checks each against the allowed ones; keeps their canonical order. */
function pickList<T extends string>(flag: string, raw: string[] | undefined, allowed: readonly T[], byDefault: readonly T[] = allowed): T[] {
  if (raw === undefined) return [...byDefault];
  const asked = raw.flatMap((v) => v.split(',')).map((v) => v.trim());
  if (asked.length === 0 || asked.some((v) => v === '')) throw new UsageError(`${flag} needs a comma-separated list from: ${allowed.join(', ')}`);
  for (const value of asked) {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new UsageError(`${flag}: unknown value '${value}'; choose from: ${allowed.join(', ')}`);
    }
  }
  return allowed.filter((v) => asked.includes(v));
}
