// Reverse names (RFC 1035 3.5 in-addr.arpa, RFC 3596 2.5 ip6.arpa): the
// question of a PTR lookup, turned back into the address it asks about.
import { formatAddress, parseAddress } from '../addressing/ipnet.js';
import { normalizeName } from './names.js';

const V4_SUFFIX = '.in-addr.arpa';
const V6_SUFFIX = '.ip6.arpa';
const OCTET = /^(0|[1-9]\d{0,2})$/;
const NIBBLE = /^[0-9a-f]$/;

/**
 * The address a full reverse name stands for ("8.16.22.172.in-addr.arpa" is
 * 172.22.16.8), in canonical text; undefined for anything else, including the
 * partial names of reverse zones ("22.172.in-addr.arpa"), which are no address.
 */
export function addressFromReverseName(name: string): string | undefined {
  const key = normalizeName(name);
  if (key.endsWith(V4_SUFFIX)) {
    const labels = key.slice(0, -V4_SUFFIX.length).split('.');
    if (labels.length !== 4 || !labels.every((l) => OCTET.test(l) && Number(l) <= 255)) return undefined;
    return labels.reverse().join('.');
  }
  if (key.endsWith(V6_SUFFIX)) {
    const labels = key.slice(0, -V6_SUFFIX.length).split('.');
    if (labels.length !== 32 || !labels.every((l) => NIBBLE.test(l))) return undefined;
    return formatAddress({ family: 6, value: BigInt(`0x${labels.reverse().join('')}`) });
  }
  return undefined;
}

/** The reverse name of an address (what a client asks a PTR for). */
export function reverseName(address: string): string {
  const a = parseAddress(address);
  if (a.family === 4) return `${formatAddress(a).split('.').reverse().join('.')}${V4_SUFFIX}`;
  return `${a.value.toString(16).padStart(32, '0').split('').reverse().join('.')}${V6_SUFFIX}`;
}
