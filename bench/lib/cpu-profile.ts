/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and says where the time went:
 * self time by function and by package, and inclusive time of the lab's own
 * functions, counting only samples inside the given windows (the timed runs;
 * start-up is left out). Window times and profile times are both the
 * monotonic clock in microseconds (CLOCK_MONOTONIC on Linux), so a window
 * taken with process.hrtime in another process on the same host lines up.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly ms: number;
  /** Share of the busy (non-idle) time in the windows. */
  readonly share: number;
}

export interface ProfileSummary {
  /** Milliseconds of samples in the windows, idle excluded. */
  readonly busyMs: number;
  readonly idleMs: number;
  /** False if no sample fell in the windows and the whole profile was used instead. */
  readonly windowed: boolean;
  readonly byPackage: readonly ProfileEntry[];
  readonly topSelf: readonly ProfileEntry[];
  /** Inclusive time of functions in services/ and packages/ (the lab's code). */
  readonly labInclusive: readonly ProfileEntry[];
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const at = url.search(/\/(services|packages|bench|tools)\//);
  if (at >= 0) return url.slice(at + 1);
  return url.replace(/^file:\/\//, '');
}

export function packageOf(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return `native ${functionName}`;
  }
  if (url.includes('@grpc/grpc-js')) return '@grpc/grpc-js';
  if (url.includes('protobufjs')) return 'protobufjs';
  if (url.includes('@opentelemetry/')) return 'OpenTelemetry';
  if (url.includes('prom-client') || url.includes('tdigest') || url.includes('bintrees')) return 'prom-client';
  if (url.includes('in-the-middle')) return 'module hooks';
  if (url.includes('/services/sidecar/src/')) return 'lab: sidecar';
  if (url.includes('/services/worker/src/')) return 'lab: worker';
  if (url.includes('/packages/common/src/')) return 'lab: common';
  if (url.startsWith('node:internal/http2')) return 'node: http2';
  if (url.startsWith('node:internal/streams') || url === 'node:stream') return 'node: streams';
  if (url.startsWith('node:internal/timers') || url === 'node:timers') return 'node: timers';
  if (url.startsWith('node:')) return 'node: other';
  if (url.includes('/node_modules/')) return shortUrl(url).split('/').slice(0, url.includes('/node_modules/@') ? 2 : 1).join('/');
  return 'other';
}

function entries(map: Map<string, number>, busyMs: number, limit: number): ProfileEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, ms]) => ({ name, ms, share: busyMs > 0 ? ms / busyMs : 0 }));
}

export function summarizeProfile(file: string, windows: readonly (readonly [number, number])[], limit = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const inWindow = (t: number): boolean => windows.some(([a, b]) => t >= a && t <= b);
  let t = profile.startTime;
  const times = profile.samples.map((_, i) => (t += profile.timeDeltas[i] ?? 0));
  // Without a sample inside the windows (clocks that do not line up), fall back to the whole profile.
  const windowed = windows.length > 0 && times.some(inWindow);

  const self = new Map<string, number>();
  const packages = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busyMs = 0;
  let idleMs = 0;
  for (const [i, id] of profile.samples.entries()) {
    const time = times[i] ?? 0;
    if (windowed && !inWindow(time)) continue;
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node) continue;
    const pkg = packageOf(node);
    if (pkg === 'idle') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName === '' ? '(anonymous)' : functionName} ${url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`}`.trim();
    self.set(name, (self.get(name) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || !/\/(services|packages)\/[^/]+\/src\//.test(frame.url)) continue;
      const key = `${frame.functionName === '' ? '(anonymous)' : frame.functionName} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
  }
  return {
    busyMs,
    idleMs,
    windowed,
    byPackage: entries(packages, busyMs, 20),
    topSelf: entries(self, busyMs, limit),
    labInclusive: entries(inclusive, busyMs, limit),
  };
}
