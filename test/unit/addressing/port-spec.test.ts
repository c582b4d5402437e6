import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { PoolExhaustedError } from '../../../src/core/errors.js';
import {
  DEFAULT_EPHEMERAL_RANGE,
  parseEphemeralRange,
  parsePortSpec,
  parsePortSpecs,
  pickHostPort,
  publishAll,
} from '../../../src/addressing/port-spec.js';

describe('parsePortSpec', () => {
  it('parses every single-port form', () => {
    expect(parsePortSpec('80')).toEqual([{ protocol: 'tcp', containerPort: 80, hostPort: { kind: 'random' } }]);
    expect(parsePortSpec('8080:80')).toEqual([
      { protocol: 'tcp', containerPort: 80, hostPort: { kind: 'fixed', port: 8080 } },
    ]);
    expect(parsePortSpec(':80')).toEqual([{ protocol: 'tcp', containerPort: 80, hostPort: { kind: 'random' } }]);
    expect(parsePortSpec('127.0.0.1:8080:80/udp')).toEqual([
      { protocol: 'udp', containerPort: 80, hostIp: '127.0.0.1', hostPort: { kind: 'fixed', port: 8080 } },
    ]);
    expect(parsePortSpec('127.0.0.1::80/sctp')).toEqual([
      { protocol: 'sctp', containerPort: 80, hostIp: '127.0.0.1', hostPort: { kind: 'random' } },
    ]);
    expect(parsePortSpec('80/UDP')[0]?.protocol).toBe('udp');
  });

  it('accepts IPv6 host addresses with and without brackets', () => {
    const want = [{ protocol: 'tcp', containerPort: 80, hostIp: '::1', hostPort: { kind: 'fixed', port: 8080 } }];
    expect(parsePortSpec('[::1]:8080:80')).toEqual(want);
    expect(parsePortSpec('::1:8080:80')).toEqual(want);
    expect(parsePortSpec('[fd00:0::0001]::53/udp')).toEqual([
      { protocol: 'udp', containerPort: 53, hostIp: 'fd00::1', hostPort: { kind: 'random' } },
    ]);
    expect(parsePortSpec('[::]:80:80')[0]?.hostIp).toBe('::');
  });

  it('expands ranges', () => {
    const r = parsePortSpec('8000-8002:80-82/udp');
    expect(r.map((b) => [b.hostPort, b.containerPort])).toEqual([
      [{ kind: 'fixed', port: 8000 }, 80],
      [{ kind: 'fixed', port: 8001 }, 81],
      [{ kind: 'fixed', port: 8002 }, 82],
    ]);
    expect(parsePortSpec('8000-8010:80')).toEqual([
      { protocol: 'tcp', containerPort: 80, hostPort: { kind: 'range', start: 8000, end: 8010 } },
    ]);
    expect(parsePortSpec('80-81').map((b) => b.hostPort)).toEqual([{ kind: 'random' }, { kind: 'random' }]);
    expect(parsePortSpecs(['80', '53/udp'])).toHaveLength(2);
  });

  it('says what was wrong', () => {
    const cases: [string, RegExp][] = [
      ['0', /container port 0 .* from 1 to 65535/],
      ['65536:80', /host port 65536/],
      ['8080:http', /invalid container port 'http'/],
      ['8000-8010:80-85', /same length/],
      ['8000:80-85', /same length/],
      ['90-80', /end is below the start/],
      ['80/icmp', /invalid protocol 'icmp'/],
      ['300.1.1.1:80:80', /invalid host IP '300.1.1.1'/],
      ['[::1:80:80', /invalid host IP/],
      ['', /non-empty/],
      ['1-2-3', /invalid/],
    ];
    for (const [spec, msg] of cases) {
      expect(() => parsePortSpec(spec), spec).toThrow(ValidationError);
      expect(() => parsePortSpec(spec), spec).toThrow(msg);
    }
  });
});

describe('publishAll', () => {
  it('publishes every exposed port on a random host port', () => {
    expect(publishAll(['80/tcp', '53/udp', '9000-9001'])).toEqual([
      { protocol: 'tcp', containerPort: 80, hostPort: { kind: 'random' } },
      { protocol: 'udp', containerPort: 53, hostPort: { kind: 'random' } },
      { protocol: 'tcp', containerPort: 9000, hostPort: { kind: 'random' } },
      { protocol: 'tcp', containerPort: 9001, hostPort: { kind: 'random' } },
    ]);
    expect(publishAll(['80'], '127.0.0.1')[0]?.hostIp).toBe('127.0.0.1');
    expect(() => publishAll(['8080:80'])).toThrow(ValidationError);
  });
});

describe('pickHostPort', () => {
  it('returns fixed ports, the first free of a range, or a free ephemeral port', () => {
    expect(pickHostPort({ kind: 'fixed', port: 8080 }, new Set([8080]))).toBe(8080);
    expect(pickHostPort({ kind: 'range', start: 8000, end: 8002 }, new Set([8000]))).toBe(8001);
    expect(() => pickHostPort({ kind: 'range', start: 8000, end: 8001 }, new Set([8000, 8001]))).toThrow(
      PoolExhaustedError,
    );
    const end = DEFAULT_EPHEMERAL_RANGE.end;
    expect(pickHostPort({ kind: 'random' }, new Set([end]), undefined, (n) => n - 1)).toBe(49153);
    for (let i = 0; i < 100; i++) {
      const p = pickHostPort({ kind: 'random' }, new Set([50000]));
      expect(p).toBeGreaterThanOrEqual(49153);
      expect(p).toBeLessThanOrEqual(65535);
      expect(p).not.toBe(50000);
    }
    expect(() => pickHostPort({ kind: 'random' }, new Set([1, 2]), { start: 1, end: 2 })).toThrow(/ephemeral range 1-2/);
  });

  it('reads ip_local_port_range text', () => {
    expect(parseEphemeralRange('32768\t60999\n')).toEqual({ start: 32768, end: 60999 });
    expect(parseEphemeralRange('garbage')).toBeUndefined();
  });
});
