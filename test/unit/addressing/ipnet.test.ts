import fc from 'fast-check';
import { isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import {
  broadcastAddress,
  canonicalAddress,
  compare,
  contains,
  formatAddress,
  formatPrefix,
  iterate,
  networkAddress,
  nthAddress,
  overlaps,
  parseAddress,
  parsePrefix,
  size,
} from '../../../src/addressing/ipnet.js';

const v4 = (s: string) => parseAddress(s);
const p = (s: string) => parsePrefix(s);

describe('ipnet', () => {
  it('parses and formats IPv4', () => {
    expect(v4('172.17.0.1')).toEqual({ family: 4, value: 0xac110001n });
    expect(formatAddress(v4('10.0.0.255'))).toBe('10.0.0.255');
  });

  it('formats IPv6 in RFC 5952 form', () => {
    const cases: [string, string][] = [
      ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group stays
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // longest run wins
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::', 'fe80::'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
      ['::ffff:c000:201', '::ffff:192.0.2.1'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
      ['::1.2.3.4', '::102:304'],
    ];
    for (const [input, want] of cases) expect(canonicalAddress(input), input).toBe(want);
  });

  it('rejects non-addresses and zone ids', () => {
    for (const bad of ['1.2.3', '1.2.3.256', 'fe80::1%eth0', 'x', '', ':::']) {
      expect(() => parseAddress(bad)).toThrow(ValidationError);
    }
    expect(() => parsePrefix('10.0.0.0/33')).toThrow(/prefix length/);
    expect(() => parsePrefix('10.0.0.0')).toThrow(/needs a prefix length/);
    expect(parsePrefix('10.0.0.1', 'x', true).prefixLength).toBe(32);
  });

  it('computes network, broadcast, size and nth', () => {
    const n = p('192.168.10.77/20');
    expect(formatAddress(networkAddress(n))).toBe('192.168.0.0');
    expect(formatAddress(broadcastAddress(n))).toBe('192.168.15.255');
    expect(size(n)).toBe(4096n);
    expect(formatAddress(nthAddress(n, 1))).toBe('192.168.0.1');
    expect(formatAddress(nthAddress(n, -2))).toBe('192.168.15.254');
    expect(() => nthAddress(n, 4096)).toThrow(ValidationError);
    const six = p('fd00:1:2:3::/64');
    expect(formatAddress(broadcastAddress(six))).toBe('fd00:1:2:3:ffff:ffff:ffff:ffff');
    expect(size(p('::/0'))).toBe(1n << 128n);
    expect(formatAddress(broadcastAddress(p('0.0.0.0/0')))).toBe('255.255.255.255');
  });

  it('contains and overlaps', () => {
    expect(contains(p('10.0.0.0/8'), v4('10.255.0.1'))).toBe(true);
    expect(contains(p('10.0.0.0/8'), v4('11.0.0.0'))).toBe(false);
    expect(contains(p('10.0.0.0/8'), p('10.1.0.0/16'))).toBe(true);
    expect(contains(p('10.1.0.0/16'), p('10.0.0.0/8'))).toBe(false);
    expect(contains(p('::/0'), v4('1.2.3.4'))).toBe(false);
    expect(overlaps(p('10.1.0.0/16'), p('10.0.0.0/8'))).toBe(true);
    expect(overlaps(p('10.1.0.0/16'), p('10.2.0.0/16'))).toBe(false);
    expect(overlaps(p('::/0'), p('0.0.0.0/0'))).toBe(false);
  });

  it('iterates and compares', () => {
    expect([...iterate(p('10.0.0.4/30'))].map(formatAddress)).toEqual(['10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7']);
    expect([...iterate(p('10.0.0.4/30'), v4('10.0.0.6'))].map(formatAddress)).toEqual(['10.0.0.6', '10.0.0.7']);
    const sorted = ['::1', '10.0.0.2', '10.0.0.10', '9.0.0.0'].map((s) => parseAddress(s)).sort(compare);
    expect(sorted.map(formatAddress)).toEqual(['9.0.0.0', '10.0.0.2', '10.0.0.10', '::1']);
    expect(formatPrefix(p('FD00::5/64'))).toBe('fd00::5/64');
  });

  it('round-trips any IPv4 address (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), (s) => {
        expect(formatAddress(parseAddress(s))).toBe(s);
      }),
    );
  });

  it('IPv6 formatting is a fixed point and stays parseable (property)', () => {
    fc.assert(
      fc.property(fc.ipV6(), (s) => {
        const once = canonicalAddress(s);
        expect(isIPv6(once)).toBe(true);
        expect(canonicalAddress(once)).toBe(once);
        expect(parseAddress(once).value).toBe(parseAddress(s).value);
        expect(once).toBe(once.toLowerCase());
        expect(once).not.toMatch(/(^|:)0[0-9a-f]/);
      }),
    );
  });

  it('overlap is symmetric and matches containment of ends (property)', () => {
    const prefix = fc
      .tuple(fc.bigInt({ min: 0n, max: 0xffffffffn }), fc.integer({ min: 0, max: 32 }))
      .map(([address, prefixLength]) => ({ family: 4 as const, address, prefixLength }));
    fc.assert(
      fc.property(prefix, prefix, (a, b) => {
        const o = overlaps(a, b);
        expect(overlaps(b, a)).toBe(o);
        const na = networkAddress(a).value;
        const ba = broadcastAddress(a).value;
        const nb = networkAddress(b).value;
        const bb = broadcastAddress(b).value;
        expect(o).toBe(na <= bb && nb <= ba);
      }),
    );
  });
});
