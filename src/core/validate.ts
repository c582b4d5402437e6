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
    throw new ValidationError(field, `${field} '${String(addr)}' is not an IPv4 or IPv6 address`);
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
    throw new ValidationError(field, `${field} '${String(mac)}' is not a MAC address like 02:42:ac:11:00:02`);
  return mac.toLowerCase();
}

/** An integer within [min, max]. */
export function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new ValidationError(field, `${field} must be an integer from ${min} to ${max}, got ${String(value)}`);
  return value;
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw new ValidationError(field, `${field} must be one of ${allowed.join(', ')}, got ${String(value)}`);
  return value as T;
}
