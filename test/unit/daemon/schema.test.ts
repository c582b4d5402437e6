// Request bodies are checked field by field before anything uses them.
import { describe, expect, it } from 'vitest';
import { RequestError } from '../../../src/core/errors.js';
import { sandboxCreateBody } from '../../../src/daemon/http/model-bodies.js';
import { bool, list, nullable, object, str, stringMap } from '../../../src/daemon/http/schema.js';
import { networkCreateBody } from '../../../src/daemon/docker/requests.js';

const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RequestError);
    expect((e as RequestError).status).toBe(400);
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('body schemas', () => {
  const shape = object({ name: str }, { tags: list(str), on: bool, labels: stringMap, note: nullable(str) });

  it('accepts the declared fields and leaves out nulls given for optional ones', () => {
    expect(shape({ name: 'a', tags: ['x'], on: true, labels: { k: 'v' }, note: null }, 'body')).toEqual({ name: 'a', tags: ['x'], on: true, labels: { k: 'v' } });
  });

  it('names the field that is wrong, missing or unknown', () => {
    expect(refusal(() => shape({}, 'body'))).toBe('name: is required');
    expect(refusal(() => shape({ name: 1 }, 'body'))).toBe('name: must be a string, not a number');
    expect(refusal(() => shape({ name: 'a', tags: ['x', 2] }, 'body'))).toBe('tags[1]: must be a string, not a number');
    expect(refusal(() => shape({ name: 'a', labels: { k: false } }, 'body'))).toBe('labels.k: must be a string, not a boolean');
    expect(refusal(() => shape({ name: 'a', extra: 1 }, 'body'))).toBe('extra: unknown field');
    expect(refusal(() => shape(null, 'body'))).toBe('body: must be an object, not null');
  });

  it("matches Docker's field names whatever their case, as Go does, and refuses unknown ones", () => {
    expect(networkCreateBody({ name: 'n', checkduplicate: true, ipam: { config: [{ subnet: '10.0.0.0/24' }] } }, 'body')).toEqual({
      Name: 'n',
      CheckDuplicate: true,
      IPAM: { Config: [{ Subnet: '10.0.0.0/24' }] },
    });
    expect(refusal(() => networkCreateBody({ Name: 'n', IPAM: { Config: [{ Subnet: '10.0.0.0/24', Colour: 'red' }] } }, 'body'))).toBe('IPAM.Config[0].Colour: unknown field');
  });

  it("takes every option of the model's sandbox create, -p strings and port binding objects alike", () => {
    const o = {
      name: 'web', network: 'n', ip: '10.0.0.5', ip6: 'fd00::5', mac: '02:42:0a:00:00:05', aliases: ['w'],
      publish: ['8080:80', { protocol: 'udp', containerPort: 53, hostPort: { kind: 'range', start: 5300, end: 5310 }, hostIp: '127.0.0.1' }],
      publishAll: true, expose: ['443'], links: ['db:database'], hostname: 'web', netns: { pid: 1 }, filesDir: '/tmp/x',
      dns: ['192.0.2.53'], dnsSearch: ['example'], dnsOptions: ['ndots:2'], extraHosts: ['h:192.0.2.1'], idempotencyKey: 'k1',
    };
    expect(sandboxCreateBody(o, 'body')).toEqual(o);
    expect(refusal(() => sandboxCreateBody({ publish: [{ protocol: 'icmp', containerPort: 1, hostPort: { kind: 'random' } }] }, 'body'))).toBe('publish[0]: must be a -p string or a port binding object');
    expect(refusal(() => sandboxCreateBody({ netns: { fd: 3 } }, 'body'))).toBe('netns: must be {path} or {pid}');
  });
});
