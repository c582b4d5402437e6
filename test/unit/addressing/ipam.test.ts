import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { AddressInUseError, PoolExhaustedError } from '../../../src/core/errors.js';
import {
  allocate,
  allocateStatic,
  candidateSubnets,
  createPool,
  defaultBridgePool,
  pickSubnet,
  release,
  releaseOwner,
} from '../../../src/addressing/ipam.js';
import { contains, formatPrefix, parseAddress, parsePrefix } from '../../../src/addressing/ipnet.js';

describe('ipam subnets', () => {
  it("follows dockerd's default pools", () => {
    const all = [...candidateSubnets()].map(formatPrefix);
    expect(all.slice(0, 3)).toEqual(['172.17.0.0/16', '172.18.0.0/16', '172.19.0.0/16']);
    expect(all[14]).toBe('172.31.0.0/16');
    expect(all[15]).toBe('192.168.0.0/20');
    expect(all[16]).toBe('192.168.16.0/20');
    expect(all.at(-1)).toBe('192.168.240.0/20');
    expect(all).toHaveLength(15 + 16);
  });

  it('gives the default bridge 172.17.0.0/16 with gateway .1', () => {
    const pool = defaultBridgePool();
    expect(pool).toMatchObject({ subnet: '172.17.0.0/16', gateway: '172.17.0.1', userConfigured: false });
    // A host route over 172.17/16 pushes docker0 to the next pool, as dockerd does.
    expect(defaultBridgePool({ inUse: ['172.17.5.0/24'] }).subnet).toBe('172.18.0.0/16');
  });

  it('picks automatic subnets in order, skipping networks and host prefixes', () => {
    const networks = [{ subnet: '172.17.0.0/16', network: 'bridge' }];
    expect(createPool({}, { networks })).toMatchObject({ subnet: '172.18.0.0/16', gateway: '172.18.0.1' });
    expect(
      formatPrefix(pickSubnet({ networks, inUse: ['172.18.0.0/15', '172.20.1.1', '172.0.0.0/8'] })),
    ).toBe('192.168.0.0/20');
    const used172 = Array.from({ length: 15 }, (_, i) => ({ subnet: `172.${17 + i}.0.0/16` }));
    expect(formatPrefix(pickSubnet({ networks: [...used172, { subnet: '192.168.0.0/20' }] }))).toBe('192.168.16.0/20');
    expect(() => pickSubnet({ inUse: ['0.0.0.0/0'] })).toThrow(PoolExhaustedError);
    expect(formatPrefix(pickSubnet({ pools: [{ base: 'fd00:1::/48', size: 64 }] }, 6))).toBe('fd00:1::/64');
  });

  it('validates explicit subnet, gateway and ip-range like docker network create', () => {
    const pool = createPool({ subnet: '172.22.16.0/24', gateway: '172.22.16.1' });
    expect(pool).toEqual({ subnet: '172.22.16.0/24', gateway: '172.22.16.1', userConfigured: true, allocated: {} });
    expect(createPool({ subnet: '10.9.0.0/16' }).gateway).toBe('10.9.0.1');
    expect(createPool({ subnet: 'fd00:9::/64' }).gateway).toBe('fd00:9::1');
    expect(() => createPool({ subnet: '172.22.16.5/24' })).toThrow(/did you mean 172.22.16.0\/24/);
    expect(() => createPool({ subnet: '172.22.16.0/24', gateway: '172.22.17.1' })).toThrow(
      /gateway 172.22.17.1 is not inside subnet 172.22.16.0\/24/,
    );
    expect(() => createPool({ subnet: '172.22.16.0/24', gateway: '172.22.16.255' })).toThrow(/broadcast/);
    expect(() => createPool({ subnet: '172.22.16.0/24', ipRange: '172.22.0.0/20' })).toThrow(/ip-range .* not inside/);
    expect(() => createPool({ gateway: '10.0.0.1' })).toThrow(/needs an explicit subnet/);
    expect(() => createPool({ subnet: '172.22.16.0/24', gateway: 'fd00::1' })).toThrow(ValidationError);
    const err = (() => {
      try {
        createPool({ subnet: '172.22.0.0/16' }, { networks: [{ subnet: '172.22.16.0/24', network: 'web' }] });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toBe(
      "subnet 172.22.0.0/16 overlaps network 'web' (172.22.16.0/24); choose a subnet that no other network uses",
    );
    // Host routes do not block an explicit subnet (dockerd checks only networks).
    expect(createPool({ subnet: '10.0.0.0/24' }, { inUse: ['10.0.0.0/8'] }).subnet).toBe('10.0.0.0/24');
  });
});

describe('ipam addresses', () => {
  it('allocates sequentially, skipping network, gateway and broadcast, and wraps', () => {
    const pool = createPool({ subnet: '10.0.0.0/29' });
    const got = Array.from({ length: 5 }, (_, i) => allocate(pool, `ep${i}`));
    expect(got).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    expect(() => allocate(pool, 'x')).toThrow(PoolExhaustedError);
    expect(release(pool, '10.0.0.3')).toBe(true);
    expect(release(pool, '10.0.0.3')).toBe(false);
    expect(allocate(pool, 'again')).toBe('10.0.0.3');
  });

  it('does not reuse a released address before wrapping', () => {
    const pool = createPool({ subnet: '10.0.0.0/24' });
    expect(allocate(pool, 'a')).toBe('10.0.0.2');
    expect(allocate(pool, 'b')).toBe('10.0.0.3');
    release(pool, '10.0.0.2');
    expect(allocate(pool, 'c')).toBe('10.0.0.4');
    expect(releaseOwner(pool, 'b')).toEqual(['10.0.0.3']);
  });

  it('allocates within the ip-range only', () => {
    const pool = createPool({ subnet: '172.28.0.0/16', ipRange: '172.28.5.0/30', gateway: '172.28.5.254' });
    expect([allocate(pool, 'a'), allocate(pool, 'b'), allocate(pool, 'c'), allocate(pool, 'd')]).toEqual([
      '172.28.5.0',
      '172.28.5.1',
      '172.28.5.2',
      '172.28.5.3',
    ]);
    expect(() => allocate(pool, 'e')).toThrow(/172.28.5.0\/30/);
  });

  it('gives static addresses inside the subnet and refuses the rest', () => {
    const pool = createPool({ subnet: '172.22.16.0/24', gateway: '172.22.16.1', ipRange: '172.22.16.128/25' });
    expect(allocateStatic(pool, '172.22.16.8', 'web')).toBe('172.22.16.8');
    expect(() => allocateStatic(pool, '172.22.16.8', 'db')).toThrow(AddressInUseError);
    expect(() => allocateStatic(pool, '172.22.16.8', 'db')).toThrow(/in use by web/);
    expect(() => allocateStatic(pool, '172.22.16.1', 'db')).toThrow(/gateway/);
    expect(() => allocateStatic(pool, '172.22.17.8', 'db')).toThrow(/not inside the network's subnet/);
    expect(() => allocateStatic(pool, '172.22.16.0', 'db')).toThrow(/network or broadcast/);
    expect(() => allocateStatic(defaultBridgePool(), '172.17.0.9', 'db')).toThrow(/user-configured subnet/);
    const six = createPool({ subnet: 'fd00::/64' });
    expect(allocateStatic(six, 'FD00:0::0010', 'x')).toBe('fd00::10');
    expect(allocate(six, 'y')).toBe('fd00::2');
  });

  it('never hands out an address twice nor a reserved one (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 24, max: 30 }),
        fc.array(fc.oneof(fc.constant<'alloc'>('alloc'), fc.nat()), { maxLength: 300 }),
        (len, ops) => {
          const pool = createPool({ subnet: `10.1.0.0/${len}` });
          const subnet = parsePrefix(pool.subnet);
          const live = new Set<string>();
          for (const op of ops) {
            if (op === 'alloc') {
              let a: string;
              try {
                a = allocate(pool, 'o');
              } catch (e) {
                expect(e).toBeInstanceOf(PoolExhaustedError);
                expect(live.size).toBe(2 ** (32 - len) - 3);
                continue;
              }
              expect(live.has(a)).toBe(false);
              expect(contains(subnet, parseAddress(a))).toBe(true);
              expect(a).not.toBe(pool.gateway);
              expect(a).not.toBe('10.1.0.0');
              live.add(a);
            } else if (live.size) {
              const victim = [...live][op % live.size] as string;
              release(pool, victim);
              live.delete(victim);
            }
          }
          expect(Object.keys(pool.allocated).sort()).toEqual([...live].sort());
        },
      ),
    );
  });
});

describe('ipam aux-addresses', () => {
  it('never hands out an aux-address and refuses it as a static address', () => {
    const pool = createPool({ subnet: '10.30.0.0/29', auxAddresses: { router: '10.30.0.2', printer: '10.30.0.4' } });
    expect(pool.auxAddresses).toEqual({ router: '10.30.0.2', printer: '10.30.0.4' });
    // A /29 has .1 (gateway) to .6: what is left for sandboxes is .3, .5 and .6.
    expect([1, 2, 3].map((i) => allocate(pool, `ep${i}`))).toEqual(['10.30.0.3', '10.30.0.5', '10.30.0.6']);
    expect(() => allocate(pool, 'ep4')).toThrow(PoolExhaustedError);
    expect(() => allocateStatic(pool, '10.30.0.4', 'x')).toThrow(/reserved as the network's aux-address 'printer'/);
  });

  it('fills the pool without them and then says it is exhausted', () => {
    const pool = createPool({ subnet: '10.30.0.0/29', auxAddresses: { a: '10.30.0.6' } });
    const got = [allocate(pool, 'a'), allocate(pool, 'b'), allocate(pool, 'c'), allocate(pool, 'd')];
    expect(got).toEqual(['10.30.0.2', '10.30.0.3', '10.30.0.4', '10.30.0.5']);
    expect(() => allocate(pool, 'e')).toThrow(PoolExhaustedError);
  });

  it('checks each as dockerd does, before anything is made', () => {
    expect(() => createPool({ subnet: '10.30.0.0/24', auxAddresses: { r: '10.31.0.2' } })).toThrow(/no matching subnet for aux-address 10\.31\.0\.2: it is outside 10\.30\.0\.0\/24/);
    expect(() => createPool({ auxAddresses: { r: '172.17.0.9' } })).toThrow(/give the network a --subnet/);
    expect(() => createPool({ subnet: '10.30.0.0/24', auxAddresses: { r: '10.30.0.255' } })).toThrow(ValidationError);
    expect(() => createPool({ subnet: '10.30.0.0/24', auxAddresses: { r: '10.30.0.1' } })).toThrow(AddressInUseError);
    expect(() => createPool({ subnet: '10.30.0.0/24', auxAddresses: { r: '10.30.0.9', s: '10.30.0.9' } })).toThrow(/both 10\.30\.0\.9/);
    expect(() => createPool({ subnet: '10.30.0.0/24', auxAddresses: { r: 'ten' } })).toThrow(ValidationError);
    expect(createPool({ subnet: 'fd00:30::/64', family: 6, auxAddresses: { r: 'fd00:30::0:5' } }).auxAddresses).toEqual({ r: 'fd00:30::5' });
  });
});
