// Checks on input before anything reaches the kernel. Each throws a
// ValidationError that says what was wrong and what would be accepted.
import { isIP } from 'node:net';
import { ValidationError } from './errors.js';

const IFNAMSIZ = 16;

/** A Linux interface name: 1-15 bytes, no '/', ':', whitespace or NUL, not '.' or '..'. */
export function interfaceName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.length === 0)
    throw new ValidationError(field, `${field} must be a non-empty interface name`);
  const bytes = Buffer.byteLength(name);
  if (bytes >= IFNAMSIZ)
    throw new ValidationError(field, `interface name '${name}' is ${bytes} bytes; Linux allows at most ${IFNAMSIZ - 1}`);
  if (/[/:\s\0]/u.test(name) || name === '.' || name === '..')
    throw new ValidationError(
      field,
      `interface name '${name.replace(/\0/g, '\\0')}' may not contain '/', ':', whitespace or NUL, nor be '.' or '..'`,
    );
  return name;
}

/** A name for a namespace under /run/netns: no path separators, nothing that escapes the directory. */
export function netnsName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.length === 0)
    throw new ValidationError(field, `${field} must be a non-empty namespace name`);
  if (name.includes('/') || name.includes('\0') || name === '.' || name === '..' || Buffer.byteLength(name) > 255)
    throw new ValidationError(
      field,
      `namespace name '${name.replace(/\0/g, '\\0')}' must be 1-255 bytes without '/' or NUL, and not '.' or '..'`,
    );
  return name;
}

export type IpFamily = 4 | 6;

/** An IPv4 or IPv6 address; returns the family. */
export function ipAddress(addr: unknown, field = 'address'): IpFamily {
  const family = typeof addr === 'string' ? isIP(addr) : 0;
  if (family !== 4 && family !== 6)
    throw new ValidationError(field, `${field} ${describeValue(addr)} is not an IPv4 or IPv6 address`);
  return family;
}

export interface Cidr {
  address: string;
  prefixLength: number;
  family: IpFamily;
}

/** "10.0.0.1/24" or "fd00::1/64"; a bare address takes the full prefix only if `allowBare`. */
export function cidr(value: unknown, field = 'address', allowBare = false): Cidr {
  if (typeof value !== 'string') throw new ValidationError(field, `${field} must be a CIDR string like 10.0.0.1/24`);
  const slash = value.indexOf('/');
  const address = slash < 0 ? value : value.slice(0, slash);
  const family = isIP(address);
  if (family !== 4 && family !== 6)
    throw new ValidationError(field, `${field} '${value}' is not a CIDR like 10.0.0.1/24 or fd00::1/64`);
  const max = family === 4 ? 32 : 128;
  if (slash < 0) {
    if (!allowBare) throw new ValidationError(field, `${field} '${value}' needs a prefix length, like ${value}/${max}`);
    return { address, prefixLength: max, family };
  }
  const text = value.slice(slash + 1);
  const prefixLength = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(prefixLength >= 0 && prefixLength <= max))
    throw new ValidationError(field, `${field} '${value}' has a prefix length outside 0-${max}`);
  return { address, prefixLength, family };
}

/** A MAC address aa:bb:cc:dd:ee:ff, normalized to lower case. */
export function macAddress(mac: unknown, field = 'address'): string {
  if (typeof mac !== 'string' || !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(mac))
    throw new ValidationError(field, `${field} ${describeValue(mac)} is not a MAC address like 02:42:ac:11:00:02`);
  return mac.toLowerCase();
}

/**
 * A MAC address an interface can have: unicast (bit 0 of the first byte
 * clear, so neither a multicast address nor the broadcast address) and not
 * all zeros. The kernel refuses the others with a message that names only
 * the link.
 */
export function unicastMac(mac: unknown, field = 'address'): string {
  const m = macAddress(mac, field);
  const first = Number.parseInt(m.slice(0, 2), 16);
  if (m === 'ff:ff:ff:ff:ff:ff') throw new ValidationError(field, `${field} '${m}' is the broadcast address; an interface needs a unicast MAC address such as 02:42:ac:11:00:02`);
  if (first & 1) throw new ValidationError(field, `${field} '${m}' is a multicast MAC address (the first byte is odd); an interface needs a unicast one such as 02:42:ac:11:00:02`);
  if (m === '00:00:00:00:00:00') throw new ValidationError(field, `${field} '${m}' is all zeros; an interface needs a unicast MAC address such as 02:42:ac:11:00:02`);
  return m;
}

/** An integer within [min, max]. */
export function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new ValidationError(field, `${field} must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
  return value;
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw new ValidationError(field, `${field} must be one of ${allowed.join(', ')}, got ${describeValue(value)}`);
  return value as T;
}

/** What an option must be: a test and its description for the error. */
export interface OptionKind {
  test(v: unknown): boolean;
  what: string;
}

const plainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** The option kinds callers from plain JavaScript get checked against. */
export const option = {
  string: { test: (v: unknown) => typeof v === 'string', what: 'a string' },
  boolean: { test: (v: unknown) => typeof v === 'boolean', what: 'true or false' },
  integer: { test: (v: unknown) => Number.isSafeInteger(v), what: 'an integer' },
  strings: { test: (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string'), what: 'an array of strings' },
  stringMap: {
    test: (v: unknown) => plainObject(v) && Object.values(v).every((x) => typeof x === 'string'),
    what: 'an object of string values',
  },
  object: { test: plainObject, what: 'an object' },
  /** An array whose items pass `item`. */
  arrayOf(item: OptionKind): OptionKind {
    return { test: (v) => Array.isArray(v) && v.every((x) => item.test(x)), what: `an array of ${item.what.replace(/^an? /, '')}s` };
  },
  /** Either kind. */
  either(a: OptionKind, b: OptionKind): OptionKind {
    return { test: (v) => a.test(v) || b.test(v), what: `${a.what} or ${b.what}` };
  },
} as const;

/**
 * Checks an options object before anything is done with it: it is a plain
 * object, has no key outside `kinds` (a misspelt option would otherwise be
 * ignored), and every key given (undefined counts as not given) is of its
 * kind. Throws a ValidationError naming the option.
 */
export function checkOptions(o: unknown, kinds: Record<string, OptionKind>, what: string, prefix = ''): Record<string, unknown> {
  if (!plainObject(o)) throw new ValidationError(prefix || 'options', `${what} must be an object, got ${describeValue(o)}`);
  for (const [key, value] of Object.entries(o)) {
    const field = `${prefix}${key}`;
    const kind = kinds[key];
    if (kind === undefined)
      throw new ValidationError(field, `${what} has no option '${field}' (known: ${Object.keys(kinds).map((k) => `${prefix}${k}`).join(', ')})`);
    if (value !== undefined && !kind.test(value)) throw new ValidationError(field, `${field} must be ${kind.what}, got ${describeValue(value)}`);
  }
  return o;
}

/** A value as an error message shows it: its type, and a short rendering. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`.replace(/\0/g, '\\0');
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'function') return 'a function';
  return `${typeof v} ${String(v)}`;
}
