/**
 * What the kernel says a process used: CPU time from /proc/<pid>/stat and
 * resident memory from /proc/<pid>/status (Linux only). CPU time is counted
 * in clock ticks (USER_HZ, 100 per second on Linux), so a reading is exact to
 * 10 ms; the bench reads it around runs of a second or more.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (the command) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command, field 3 is at index 0: utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

export function totalCpuSeconds(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

export interface MemoryReading {
  /** Resident set size now. */
  readonly rssBytes: number;
  /** Peak resident set size since the process started. */
  readonly peakRssBytes: number;
}

export function memory(pid: number): MemoryReading {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match?.[1]) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

/** The 1-minute load average, for the report's record of how busy the machine was. */
export function loadAverage(): [number, number, number] {
  const [one, five, fifteen] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
  return [one ?? NaN, five ?? NaN, fifteen ?? NaN];
}
