import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { parseStoreAddress } from '../../../src/cluster/address.js';
import { parseRecord, parseStoreKey, storeKeys } from '../../../src/cluster/records.js';
import { freeHostSubnet, hostCapacity, hostIndex, hostSubnets, overlapping } from '../../../src/cluster/subnets.js';

describe('store addresses', () => {
  it('reads etcd endpoints (default port 2379) and dir paths', () => {
    expect(parseStoreAddress('etcd://192.0.2.11:2379,192.0.2.12,etcd-3:2380')).toEqual({
      kind: 'etcd',
      address: 'etcd://192.0.2.11:2379,192.0.2.12,etcd-3:2380',
      endpoints: ['http://192.0.2.11:2379', 'http://192.0.2.12:2379', 'http://etcd-3:2380'],
    });
    expect(parseStoreAddress('dir:///var/lib/netplumb/cluster')).toEqual({ kind: 'dir', address: 'dir:///var/lib/netplumb/cluster', path: '/var/lib/netplumb/cluster' });
  });

  it('refuses other schemes, relative paths and bad ports', () => {
    for (const bad of ['consul://x', 'dir://relative', 'etcd://h:99999', 'etcd://', '', 7])
      expect(() => parseStoreAddress(bad)).toThrow(ValidationError);
  });
});

describe('store keys', () => {
  it('names each record and reads the key back', () => {
    const net = 'a'.repeat(64);
    expect(parseStoreKey(storeKeys.network('ov1'))).toEqual({ kind: 'network', name: 'ov1' });
    expect(parseStoreKey(storeKeys.vtep(net, '10.244.3.0/24'))).toEqual({ kind: 'vtep', netId: net, subnet: '10.244.3.0/24' });
    expect(storeKeys.vtep(net, '10.244.3.0/24')).toBe(`/netplumb/v1/overlay/${net}/vteps/10.244.3.0-24`);
    expect(parseStoreKey(storeKeys.reserved(net, '10.244.3.0/24'))).toEqual({ kind: 'reserved', netId: net, subnet: '10.244.3.0/24' });
    expect(parseStoreKey(storeKeys.name(net, 'e1'))).toEqual({ kind: 'name', netId: net, endpointId: 'e1' });
    expect(parseStoreKey(storeKeys.host('h1'))).toEqual({ kind: 'host', hostId: 'h1' });
    expect(parseStoreKey(storeKeys.catalog)).toEqual({ kind: 'catalog' });
    expect(parseStoreKey('/elsewhere/x')).toEqual({ kind: 'other' });
  });

  it('reads only JSON objects as records', () => {
    expect(parseRecord<{ a: number }>('{"a":1}')).toEqual({ a: 1 });
    expect(parseRecord('7')).toBeUndefined();
    expect(parseRecord('{')).toBeUndefined();
    expect(parseRecord(undefined)).toBeUndefined();
  });
});

describe('host subnets', () => {
  it('carves a cluster CIDR into host subnets, lowest first, and numbers them', () => {
    expect([...hostSubnets('10.244.0.0/22', 24)]).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24']);
    expect(hostCapacity('10.244.0.0/16', 24)).toBe(256n);
    expect(hostIndex('10.244.0.0/16', '10.244.7.0/24')).toBe(7);
    expect(hostIndex('10.0.0.0/8', '10.1.2.64/26')).toBe((1 * 256 + 2) * 4 + 1);
  });

  it('picks the lowest free one, or none', () => {
    expect(freeHostSubnet('10.244.0.0/23', 24, new Set(['10.244.0.0/24']))).toBe('10.244.1.0/24');
    expect(freeHostSubnet('10.244.0.0/23', 24, new Set(['10.244.0.0/24', '10.244.1.0/24']))).toBeUndefined();
  });

  it('refuses a host subnet size outside the cluster CIDR, and IPv6', () => {
    expect(() => [...hostSubnets('10.244.0.0/16', 15)]).toThrow(/host-subnet-size/);
    expect(() => [...hostSubnets('10.244.0.0/16', 31)]).toThrow(/host-subnet-size/);
    expect(() => [...hostSubnets('fd00::/48', 64)]).toThrow(/IPv4/);
  });

  it('finds the network a subnet overlaps', () => {
    expect(overlapping('10.244.128.0/17', [['ov0', '10.0.0.0/16'], ['ov1', '10.244.0.0/16']])).toEqual(['ov1', '10.244.0.0/16']);
    expect(overlapping('10.245.0.0/16', [['ov1', '10.244.0.0/16']])).toBeUndefined();
  });
});
