// Docker's `filters` query parameter: JSON mapping a key to its values,
// written {"name":{"x":true}} by the docker CLI and {"name":["x"]} by older
// clients (dockerode). A key the endpoint does not know is refused, as
// dockerd refuses it.
import { RequestError } from '../../core/errors.js';

export type Filters = ReadonlyMap<string, readonly string[]>;

export function parseFilters(raw: string | null, known: readonly string[]): Filters {
  const out = new Map<string, string[]>();
  if (raw === null || raw === '') return out;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new RequestError(400, `invalid filter: ${(e as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new RequestError(400, 'invalid filter: it must be a JSON object');
  for (const [key, v] of Object.entries(json)) {
    if (!known.includes(key)) throw new RequestError(400, `Invalid filter '${key}'`);
    let values: unknown[];
    if (Array.isArray(v)) values = v;
    else if (v !== null && typeof v === 'object') values = Object.entries(v).filter(([, on]) => on === true).map(([k]) => k);
    else throw new RequestError(400, `invalid filter '${key}': its values must be a list or an object`);
    if (!values.every((x): x is string => typeof x === 'string')) throw new RequestError(400, `invalid filter '${key}': its values must be strings`);
    out.set(key, values);
  }
  return out;
}

/** Docker's label filter: every value (`k` or `k=v`) must hold. */
export function labelsMatch(labels: Readonly<Record<string, string>>, wanted: readonly string[] | undefined): boolean {
  return (wanted ?? []).every((w) => {
    const i = w.indexOf('=');
    return i < 0 ? Object.hasOwn(labels, w) : labels[w.slice(0, i)] === w.slice(i + 1);
  });
}

/** True when the filter is absent, or any of its values matches. */
export function anyOf(values: readonly string[] | undefined, test: (v: string) => boolean): boolean {
  return values === undefined || values.some(test);
}
