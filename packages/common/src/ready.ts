/**
 * Tells whoever started this process that it is ready, and on which ports,
 * over a structured channel instead of log text: one JSON line on the file
 * descriptor named by READY_FD (the lab's harness opens a pipe there). A
 * process started by hand or by a container runtime has no READY_FD and
 * writes nothing.
 */
import { closeSync, writeSync } from 'node:fs';

export function announceReady(fd: number | undefined, fields: Readonly<Record<string, unknown>>): void {
  if (fd === undefined) return;
  try {
    writeSync(fd, `${JSON.stringify({ event: 'ready', time: new Date().toISOString(), pid: process.pid, ...fields })}\n`);
    closeSync(fd);
  } catch {
    // Whoever asked is gone; the service runs on regardless.
  }
}
