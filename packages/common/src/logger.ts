/**
 * One structured logger: one JSON object per line on stdout, with the service
 * name and the fields a reader filters by (message_id, worker_id). Services
 * never write bare console output.
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Whether a line at this level is written: a caller whose fields cost something to build asks first. */
  enabled(level: LogLevel): boolean;
  child(fields: LogFields): Logger;
}

export function createLogger(
  service: string,
  level: LogLevel = 'info',
  base: LogFields = {},
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (LOG_LEVELS.indexOf(lvl) < threshold) return;
    const record = { time: new Date().toISOString(), level: lvl, service, msg, ...base, ...fields };
    write(JSON.stringify(record, jsonReplacer) + '\n');
  };
  return {
    debug: (msg, fields) => { emit('debug', msg, fields); },
    info: (msg, fields) => { emit('info', msg, fields); },
    warn: (msg, fields) => { emit('warn', msg, fields); },
    error: (msg, fields) => { emit('error', msg, fields); },
    enabled: (lvl) => LOG_LEVELS.indexOf(lvl) >= threshold,
    child: (fields) => createLogger(service, level, { ...base, ...fields }, write),
  };
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
