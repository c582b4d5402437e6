import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressFromReverseName, reverseName } from '../../../src/dns/reverse.js';
import { formatAddress } from '../../../src/addressing/ipnet.js';

describe('reverse names', () => {
  it('reads full in-addr.arpa and ip6.arpa names, any case, with or without the root dot', () => {
    expect(addressFromReverseName('8.16.22.172.in-addr.arpa')).toBe('172.22.16.8');
    expect(addressFromReverseName('8.16.22.172.IN-ADDR.ARPA.')).toBe('172.22.16.8');
    const v6 = `8.${'0.'.repeat(29)}D.f.ip6.arpa`;
    expect(addressFromReverseName(v6)).toBe('fd00::8');
    expect(reverseName('fd00::8')).toBe(v6.toLowerCase());
    expect(reverseName('172.22.16.8')).toBe('8.16.22.172.in-addr.arpa');
  });

  it('is no address for zones, bad labels and other names', () => {
    for (const name of [
      '22.172.in-addr.arpa',
      '1.8.16.22.172.in-addr.arpa',
      '256.16.22.172.in-addr.arpa',
      '08.16.22.172.in-addr.arpa',
      'x.16.22.172.in-addr.arpa',
      `${'0.'.repeat(31)}ip6.arpa`,
      `10.${'0.'.repeat(31)}ip6.arpa`,
      'in-addr.arpa',
      'web',
    ])
      expect(addressFromReverseName(name), name).toBeUndefined();
  });

  it('round-trips every address (property)', () => {
    const v4 = fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }).map((value) => formatAddress({ family: 4, value }));
    const v6 = fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }).map((value) => formatAddress({ family: 6, value }));
    fc.assert(fc.property(fc.oneof(v4, v6), (a) => {
        expect(addressFromReverseName(reverseName(a))).toBe(a);
      }));
  });
});
