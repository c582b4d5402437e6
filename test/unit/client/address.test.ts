import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress } from '../../../src/client/address.js';
import { ValidationError } from '../../../src/core/errors.js';

describe('daemon addresses', () => {
  it("reads dockerd's forms", () => {
    expect(parseAddress('unix:///run/netplumb/netplumb.sock')).toEqual({ kind: 'unix', path: '/run/netplumb/netplumb.sock' });
    expect(parseAddress('/tmp/x.sock')).toEqual({ kind: 'unix', path: '/tmp/x.sock' });
    expect(parseAddress('tcp://127.0.0.1:2376')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 2376 });
    expect(parseAddress('tcp://[::1]:2376')).toEqual({ kind: 'tcp', host: '::1', port: 2376 });
    expect(formatAddress(parseAddress('tcp://[::1]:2376'))).toBe('tcp://[::1]:2376');
  });

  it('refuses what is not an address, saying which forms are', () => {
    for (const bad of ['unix://relative.sock', 'tcp://host', 'tcp://host:99999', 'http://x', 'netplumb.sock'])
      expect(() => parseAddress(bad), bad).toThrow(ValidationError);
    expect(() => parseAddress('netplumb.sock')).toThrow(/use unix:\/\/\/path\/to\.sock, \/path\/to\.sock or tcp:\/\/HOST:PORT/);
  });
});
