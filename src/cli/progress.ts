// Progress on a terminal for operations that take a while (reconcile,
// graph, removing many networks or sandboxes): one line on stderr, redrawn
// in place and erased at the end, so stdout stays exactly the command's
// output. Quiet when stderr is not a terminal, with --json, or with
// NETPLUMB_PROGRESS=0; NETPLUMB_PROGRESS=1 draws it from the start, even for
// what ends at once (for recordings of a terminal).

const FRAMES = ['|', '/', '-', '\\'];

export interface Progress {
  /** What is being done now ("removing web 3/10"). */
  step(text: string): void;
  /** Erases the line for a moment (before writing a message to stderr); the next tick draws it again. */
  clear(): void;
  /** Erases the line. */
  done(): void;
}

const quiet: Progress = { step: () => undefined, clear: () => undefined, done: () => undefined };

export function progress(label: string, o: { json?: boolean } = {}): Progress {
  const out = process.stderr;
  if (!out.isTTY || o.json || process.env.NETPLUMB_PROGRESS === '0') return quiet;
  const start = Date.now();
  let text = label;
  let frame = 0;
  let drawn = false;
  const draw = (): void => {
    drawn = true;
    const secs = ((Date.now() - start) / 1000).toFixed(1);
    const line = `${FRAMES[frame++ % FRAMES.length]} ${text} (${secs} s)`;
    out.write(`\r\x1b[2K${line.slice(0, Math.max(10, (out.columns || 80) - 1))}`);
  };
  const startDrawing = (): void => {
    draw();
    timer = setInterval(draw, 100);
    timer.unref();
  };
  let timer: NodeJS.Timeout | undefined;
  if (process.env.NETPLUMB_PROGRESS === '1') startDrawing();
  else {
    // Nothing is drawn for what ends within 200 ms: a flash would be noise.
    timer = setTimeout(startDrawing, 200);
    timer.unref();
  }
  return {
    step(t: string): void {
      text = `${label}: ${t}`;
    },
    clear(): void {
      if (drawn) out.write('\r\x1b[2K');
    },
    done(): void {
      clearTimeout(timer);
      clearInterval(timer);
      if (drawn) out.write('\r\x1b[2K');
    },
  };
}

/** Runs `work` with a progress line for it. */
export async function withProgress<T>(label: string, o: { json?: boolean }, work: (p: Progress) => Promise<T>): Promise<T> {
  const p = progress(label, o);
  try {
    return await work(p);
  } finally {
    p.done();
  }
}
