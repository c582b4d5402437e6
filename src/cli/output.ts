// How listings are printed: aligned columns for people, JSON for programs.

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Columns padded to their widest cell, as `docker ps` prints them. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   ').trimEnd();
  process.stdout.write(`${[line(headers), ...rows.map(line)].join('\n')}\n`);
}

/** Docker's 12-character id. */
export function short(id: string): string {
  return id.slice(0, 12);
}

/** Collects a repeatable option's values (`-p 80 -p 443`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
