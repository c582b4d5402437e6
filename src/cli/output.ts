// How listings are printed: aligned columns for people, JSON for programs;
// and the small parsers and prompts several commands share.
import { writeSync } from 'node:fs';
import { UsageError } from './errors.js';

/**
 * Writes a command's output to fd 1. Not through process.stdout: making that
 * stream loads Node's streams, a tenth of what a listing costs. Writes are
 * synchronous either way (process.stdout is too, for files, pipes and
 * terminals on Linux), so output stays in order with anything else written.
 */
export function out(text: string): void {
  const bytes = Buffer.from(text);
  for (let done = 0; done < bytes.length; ) {
    try {
      done += writeSync(1, bytes, done);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // The reader has gone (`netplumb ps | head -1`): the rest has nowhere to go.
      if (code === 'EPIPE') return;
      // A non-blocking descriptor inherited from the caller: wait for room.
      if (code !== 'EAGAIN') throw e;
    }
  }
}

export function printJson(value: unknown): void {
  out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Columns padded to their widest cell, as `docker ps` prints them. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   ').trimEnd();
  out(`${[line(headers), ...rows.map(line)].join('\n')}\n`);
}

/** Docker's 12-character id. */
export function short(id: string): string {
  return id.slice(0, 12);
}

/** Collects a repeatable option's values (`-p 80 -p 443`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** KEY=VALUE values (--opt, --label) as a map. */
export function keyValues(values: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError(`${flag} '${v}' must be KEY=VALUE`, flag === '--opt' ? 'e.g. --opt com.docker.network.bridge.enable_icc=false' : `e.g. ${flag} env=test`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

/** Asks on stderr and reads a line from stdin: true for y/yes. */
export async function confirm(question: string): Promise<boolean> {
  // Loaded here: no other command needs readline.
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((r) => rl.question(question, r));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
