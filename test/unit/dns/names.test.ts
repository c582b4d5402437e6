import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { NameTable } from '../../../src/dns/names.js';

describe('NameTable', () => {
  it('registers, replaces and forgets names per owner', () => {
    const t = new NameTable();
    t.register('ep1', ['Web', 'web.', 'alias'], ['10.0.0.2', 'FD00::2']);
    t.register('ep2', ['alias'], ['10.0.0.3']);
    expect(t.lookup('WEB')).toEqual({ v4: ['10.0.0.2'], v6: ['fd00::2'] });
    expect(t.lookup('alias.')).toEqual({ v4: ['10.0.0.2', '10.0.0.3'], v6: ['fd00::2'] });
    expect(t.names()).toEqual(['alias', 'web']);
    // Addresses resolve back to the owner's first name, as given.
    expect(t.nameFor('fd00:0::2')).toBe('Web');
    expect(t.nameFor('10.0.0.3')).toBe('alias');
    expect(t.nameFor('10.0.0.9')).toBeUndefined();
    t.register('ep1', ['web'], ['10.0.0.4']);
    expect(t.lookup('alias')).toEqual({ v4: ['10.0.0.3'], v6: [] });
    expect(t.unregister('ep2')).toBe(true);
    expect(t.unregister('ep2')).toBe(false);
    expect(t.lookup('alias')).toBeUndefined();
    expect(() => t.register('x', [''], [])).toThrow(ValidationError);
    expect(() => t.register('x', [], ['10.0.0.5'])).toThrow(ValidationError);
    expect(() => t.register('x', ['a'], ['bad'])).toThrow(ValidationError);
  });
});
