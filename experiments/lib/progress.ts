/**
 * Progress on stderr while the runner works: scenario, variant, phase, elapsed
 * time, messages done, and what each worker has in transit. On a terminal the
 * line is redrawn every second; otherwise (CI, a test) a line is printed on
 * each phase change and every 10 s.
 */
export interface Progress {
  /** A new scenario run begins, on this variant (`mode/stack/queue`). */
  begin(scenario: string, variant: string): void;
  phase(text: string): void;
  /** What the status line shows after the fixed part; called on every redraw. */
  watch(status: () => string): void;
  /** A line that stays (a result, a warning). */
  note(text: string): void;
  end(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  const tty = stream.isTTY;
  const runStarted = performance.now();
  let scenario = '';
  let variant = '';
  let phase = '';
  let began = performance.now();
  let status: () => string = () => '';
  let lastPlain = 0;
  let timer: NodeJS.Timeout | undefined;

  const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;
  const line = (): string => {
    let extra: string;
    try {
      extra = status();
    } catch {
      extra = '';
    }
    return `[${seconds(runStarted)}] ${scenario} · ${variant} · ${phase} · ${seconds(began)}${extra ? ` · ${extra}` : ''}`;
  };
  const draw = (force: boolean): void => {
    if (quiet || scenario === '') return;
    if (tty) {
      stream.write(`\r\x1b[K${line().slice(0, (stream.columns || 120) - 1)}`);
      return;
    }
    const now = performance.now();
    if (force || now - lastPlain >= 10_000) {
      lastPlain = now;
      stream.write(`${line()}\n`);
    }
  };
  const clear = (): void => {
    if (tty && !quiet) stream.write('\r\x1b[K');
  };

  return {
    begin(s, v) {
      scenario = s;
      variant = v;
      phase = 'starting';
      began = performance.now();
      status = () => '';
      timer ??= setInterval(() => { draw(false); }, 1000).unref();
      draw(true);
    },
    phase(text) {
      phase = text;
      draw(true);
    },
    watch(fn) {
      status = fn;
    },
    note(text) {
      if (quiet) return;
      clear();
      stream.write(`${text}\n`);
      draw(false);
    },
    end() {
      clear();
      scenario = '';
      clearInterval(timer);
      timer = undefined;
    },
  };
}
