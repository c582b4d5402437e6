// --format as Docker's Go templates are used on the command line: `{{.Name}}`,
// `{{.IPAM.Config}}`, `{{json .}}`, `{{json .Labels}}`, `{{index .Labels "k"}}`,
// `{{upper .Name}}`/`{{lower …}}`, `\t` and `\n` escapes, and the `table`
// prefix (a header row from the field names, columns aligned). Also the
// shorthands `json` (one JSON object per line) and `table`. Not a template
// engine: no conditionals or ranges; anything else is refused by name.
import { UsageError } from './errors.js';
import { byCodeUnits } from '../core/order.js';

type Piece = string | ((row: Record<string, unknown>) => string);

function lookup(value: unknown, path: string): unknown {
  let v = value;
  for (const key of path.split('.').filter(Boolean)) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

/** How Go's fmt prints a value inside a template: maps as map[k:v], lists as [a b]. */
function show(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  if (typeof v === 'object') return `map[${Object.entries(v as Record<string, unknown>).sort(([a], [b]) => byCodeUnits(a, b)).map(([k, x]) => `${k}:${show(x)}`).join(' ')}]`;
  return String(v);
}

function action(body: string, template: string): (row: Record<string, unknown>) => string {
  const words = body.trim().match(/"[^"]*"|\S+/g) ?? [];
  const arg = (w: string | undefined): ((row: Record<string, unknown>) => unknown) => {
    if (w === undefined) throw new UsageError(`--format '${template}': {{${body}}} is missing an argument`);
    if (w.startsWith('"')) return () => w.slice(1, -1);
    if (!w.startsWith('.')) throw new UsageError(`--format '${template}': '${w}' is not a field (fields start with '.', e.g. {{.Name}})`);
    return (row) => (w === '.' ? row : lookup(row, w));
  };
  const [fn, ...rest] = words;
  if (fn?.startsWith('.') && rest.length === 0) {
    const get = arg(fn);
    return (row) => show(get(row));
  }
  switch (fn) {
    case 'json': {
      const get = arg(rest[0]);
      return (row) => JSON.stringify(get(row) ?? null);
    }
    case 'upper':
    case 'lower': {
      const get = arg(rest[0]);
      return (row) => (fn === 'upper' ? show(get(row)).toUpperCase() : show(get(row)).toLowerCase());
    }
    case 'index': {
      const [get, key] = [arg(rest[0]), arg(rest[1])];
      return (row) => show(lookup(get(row), String(key(row))));
    }
    default:
      throw new UsageError(`--format '${template}': {{${body}}} is not supported`, 'use fields ({{.Name}}), json, index, upper or lower');
  }
}

function compile(template: string): Piece[] {
  const pieces: Piece[] = [];
  const re = /\{\{(.*?)\}\}/g;
  let at = 0;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    if (m.index > at) pieces.push(template.slice(at, m.index));
    pieces.push(action(m[1] ?? '', template));
    at = m.index + m[0].length;
  }
  if (at < template.length) pieces.push(template.slice(at));
  return pieces;
}

const unescape = (s: string): string => s.replace(/\\t/g, '\t').replace(/\\n/g, '\n');

/** A column's header: the last field name of its action, in Docker's capitals. */
function header(cell: string): string {
  const fields = [...cell.matchAll(/\{\{[^}]*?\.([A-Za-z0-9_.]*)[^}]*\}\}/g)].map((m) => (m[1] ?? '').split('.').pop() ?? '');
  return fields.map((f) => f.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase()).join(' ') || cell.replace(/\{\{.*?\}\}/g, '').toUpperCase();
}

/**
 * Rows through a --format: 'json' prints each row as JSON on its own line;
 * 'table' or 'table TEMPLATE' prints aligned columns under a header (the
 * default table is `defaultTable`); anything else is a template per row.
 */
export function formatRows(format: string, rows: Record<string, unknown>[], defaultTable: string): string {
  if (format === 'json') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  const isTable = format === 'table' || format.startsWith('table ');
  const template = unescape(format === 'table' ? defaultTable : isTable ? format.slice(6) : format);
  if (!isTable) {
    const pieces = compile(template);
    return rows.map((r) => `${pieces.map((p) => (typeof p === 'string' ? p : p(r))).join('')}\n`).join('');
  }
  const cells = template.split('\t');
  const compiled = cells.map(compile);
  const table = [cells.map(header), ...rows.map((r) => compiled.map((c) => c.map((p) => (typeof p === 'string' ? p : p(r))).join('')))];
  const widths = cells.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  return table.map((row) => `${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join('').trimEnd()}\n`).join('');
}

/** One object through a --format (inspect): the template once per object. */
export function formatEach(format: string, values: unknown[]): string {
  const pieces = compile(unescape(format));
  return values.map((v) => `${pieces.map((p) => (typeof p === 'string' ? p : p(v as Record<string, unknown>))).join('')}\n`).join('');
}

/** Docker's --filter KEY=VALUE list, by key (a key may repeat: any of its values matches). */
export function parseFilters(values: string[] | undefined, allowed: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const v of values ?? []) {
    const i = v.indexOf('=');
    const key = i < 0 ? v : v.slice(0, i);
    if (!allowed.includes(key)) throw new UsageError(`invalid filter '${key}'`, `filters: ${allowed.map((a) => `${a}=…`).join(', ')}`);
    out.set(key, [...(out.get(key) ?? []), i < 0 ? '' : v.slice(i + 1)]);
  }
  return out;
}

/** Docker's label filter: `label=KEY` (present) or `label=KEY=VALUE`; `label!=…` negates. */
export function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const i = filter.indexOf('=');
  if (i < 0) return filter in labels;
  return labels[filter.slice(0, i)] === filter.slice(i + 1);
}
