// Input checks for callers in plain JavaScript: options objects checked by
// kind, unicast MACs; and, fuzzed (seeded, bounded), every check either
// accepts or throws a ValidationError that names a field — never a TypeError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { checkOptions, option, unicastMac } from '../../../src/core/validate.js';
import { checkPortBinding } from '../../../src/addressing/port-spec.js';

const KINDS = { name: option.string, count: option.integer, on: option.boolean, tags: option.strings, labels: option.stringMap };

describe('checkOptions', () => {
  it('accepts options of their kinds, and undefined as not given', () => {
    expect(() => checkOptions({ name: 'a', count: 3, on: false, tags: ['x'], labels: { a: 'b' }, tags2: undefined } as never, { ...KINDS, tags2: option.strings }, 'o')).not.toThrow();
    expect(() => checkOptions({}, KINDS, 'o')).not.toThrow();
  });

  it('names the option of the wrong kind, and one it does not know', () => {
    const cases: [unknown, string][] = [
      [{ name: 5 }, 'name'],
      [{ count: '3' }, 'count'],
      [{ count: 1.5 }, 'count'],
      [{ on: null }, 'on'],
      [{ tags: 'x' }, 'tags'],
      [{ tags: [1] }, 'tags'],
      [{ labels: { a: 1 } }, 'labels'],
      [{ labels: [] }, 'labels'],
      [{ colour: 'red' }, 'colour'],
    ];
    for (const [o, field] of cases) expect(() => checkOptions(o, KINDS, 'o'), field).toThrow(expect.objectContaining({ field }));
    for (const o of [null, 'x', 3, [], new Date()]) expect(() => checkOptions(o, KINDS, 'o')).toThrow(ValidationError);
  });
});

describe('unicastMac', () => {
  it('refuses multicast, broadcast and all-zero addresses, naming the field', () => {
    for (const mac of ['01:00:5e:00:00:01', '33:33:00:00:00:01', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00', 'FF:FF:FF:FF:FF:FF'])
      expect(() => unicastMac(mac, 'mac')).toThrow(expect.objectContaining({ field: 'mac' }));
    expect(unicastMac('02:42:AC:11:00:02', 'mac')).toBe('02:42:ac:11:00:02');
  });
});

describe('fuzzed', () => {
  const anything = fc.anything({ maxDepth: 2, withNullPrototype: true, withBigInt: true, withDate: true, withTypedArray: true });
  const typedOnly = (fn: () => unknown): void => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect(typeof (e as ValidationError).field).toBe('string');
    }
  };

  it('checkOptions, unicastMac and checkPortBinding throw nothing but ValidationError', () => {
    fc.assert(
      fc.property(anything, (v) => {
        typedOnly(() => checkOptions(v, KINDS, 'o'));
        typedOnly(() => unicastMac(v, 'mac'));
        typedOnly(() => checkPortBinding(v));
      }),
      { seed: 1010, numRuns: 3000 },
    );
  });
});
