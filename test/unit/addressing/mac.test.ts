import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { macFromIPv4, randomMac } from '../../../src/addressing/mac.js';
import { macAddress } from '../../../src/core/validate.js';

describe('mac', () => {
  it("derives Docker's MAC from an IPv4 address", () => {
    expect(macFromIPv4('172.17.0.2')).toBe('02:42:ac:11:00:02');
    expect(macFromIPv4('255.255.255.254')).toBe('02:42:ff:ff:ff:fe');
    expect(() => macFromIPv4('fd00::1')).toThrow(ValidationError);
  });

  it('makes random locally administered unicast MACs', () => {
    expect(randomMac(() => Uint8Array.of(0xff, 1, 2, 3, 4, 5))).toBe('fe:01:02:03:04:05');
    expect(randomMac(() => Uint8Array.of(0x00, 0, 0, 0, 0, 0))).toBe('02:00:00:00:00:00');
    for (let i = 0; i < 200; i++) {
      const m = randomMac();
      expect(macAddress(m)).toBe(m);
      const first = parseInt(m.slice(0, 2), 16);
      expect(first & 1).toBe(0);
      expect(first & 2).toBe(2);
    }
  });
});
