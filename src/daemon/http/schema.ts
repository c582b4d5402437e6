// The shape of a request body, checked before anything else looks at it:
// wrong types and unknown fields are refused with a 400 that names the field,
// so the model only ever sees the types it declares. Docker's API is decoded
// by Go, which matches field names without regard to case; `caseless`
// objects do the same.
import { RequestError } from '../../core/errors.js';

export type Check<T> = (v: unknown, at: string) => T;

const bad = (at: string, what: string): RequestError => new RequestError(400, `${at}: ${what}`);

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

export const str: Check<string> = (v, at) => {
  if (typeof v !== 'string') throw bad(at, `must be a string, not ${kind(v)}`);
  return v;
};

export const bool: Check<boolean> = (v, at) => {
  if (typeof v !== 'boolean') throw bad(at, `must be true or false, not ${kind(v)}`);
  return v;
};

export const int: Check<number> = (v, at) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(at, `must be an integer, not ${kind(v)}`);
  return v;
};

export function literal<T extends string>(...values: T[]): Check<T> {
  return (v, at) => {
    if (typeof v !== 'string' || !(values as string[]).includes(v)) throw bad(at, `must be one of ${values.map((x) => `'${x}'`).join(', ')}`);
    return v as T;
  };
}

export function list<T>(item: Check<T>): Check<T[]> {
  return (v, at) => {
    if (!Array.isArray(v)) throw bad(at, `must be an array, not ${kind(v)}`);
    return v.map((x, i) => item(x, `${at}[${i}]`));
  };
}

/** A JSON object with string values (labels, options). */
export const stringMap: Check<Record<string, string>> = (v, at) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(at, `must be an object of strings, not ${kind(v)}`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = str(x, `${at}.${k}`);
  return out;
};

/** Accepts null as "not given" (Go's nil), as Docker's clients send for empty fields. */
export function nullable<T>(c: Check<T>): Check<T | undefined> {
  return (v, at) => (v === null ? undefined : c(v, at));
}

/** The first check that accepts the value; the message lists what was expected. */
export function either<A, B>(a: Check<A>, b: Check<B>, expected: string): Check<A | B> {
  return (v, at) => {
    try {
      return a(v, at);
    } catch {
      try {
        return b(v, at);
      } catch {
        throw bad(at, `must be ${expected}`);
      }
    }
  };
}

type Fields = Record<string, Check<unknown>>;
type Shape<R extends Fields, O extends Fields> = { [K in keyof R]: ReturnType<R[K]> } & { [K in keyof O]?: Exclude<ReturnType<O[K]>, undefined> };

/**
 * An object with `required` and `optional` fields and nothing else. With
 * `caseless`, keys match whatever their case (Go's JSON decoding); the result
 * carries the declared spelling. An optional field given as undefined-like
 * (a nullable's null) is left out.
 */
export function object<R extends Fields, O extends Fields = Record<never, never>>(
  required: R,
  optional: O = {} as O,
  o: { caseless?: boolean } = {},
): Check<Shape<R, O>> {
  const declared = new Map<string, string>();
  for (const k of [...Object.keys(required), ...Object.keys(optional)]) declared.set(o.caseless ? k.toLowerCase() : k, k);
  return (v, at) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(at, `must be an object, not ${kind(v)}`);
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(v)) {
      const name = declared.get(o.caseless ? key.toLowerCase() : key);
      if (name === undefined) throw bad(at === 'body' ? key : `${at}.${key}`, 'unknown field');
      const check = (required[name] ?? optional[name]) as Check<unknown>;
      const checked = check(value, at === 'body' ? name : `${at}.${name}`);
      if (checked !== undefined) out[name] = checked;
    }
    for (const k of Object.keys(required)) if (!(k in out)) throw bad(at === 'body' ? k : `${at}.${k}`, 'is required');
    return out as Shape<R, O>;
  };
}
