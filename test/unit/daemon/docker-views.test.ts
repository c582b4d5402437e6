// Docker's shapes, from netplumb's records and events: keys in dockerd's
// order and with its JSON types, filters in both of the forms clients send,
// and request bodies turned into the model's options.
import { describe, expect, it } from 'vitest';
import type { ModelEvent, NetworkRecord } from '../../../src/index.js';
import { dockerEvent, eventMatches, parseEventTime } from '../../../src/daemon/docker/events.js';
import { labelsMatch, parseFilters } from '../../../src/daemon/docker/filters.js';
import { derivedId, dockerNetwork, modeNetwork } from '../../../src/daemon/docker/network-view.js';
import { connectOptions, createOptions, networkConnectBody, networkCreateBody } from '../../../src/daemon/docker/requests.js';

const record = (o: Partial<NetworkRecord> = {}): NetworkRecord => ({
  id: 'a'.repeat(64), name: 'shop', driver: 'bridge', isDefault: false, bridge: 'np-aaaaaaaaaaaa',
  ipv4: { subnet: '10.1.0.0/24', gateway: '10.1.0.1', ipRange: '10.1.0.128/25', userConfigured: true },
  internal: false, icc: true, masquerade: true, labels: { app: 'shop' }, options: { 'com.docker.network.driver.mtu': '1400' }, created: '2026-01-01T00:00:00.000Z', ...o,
});

const KEYS = ['Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable', 'Ingress', 'ConfigFrom', 'ConfigOnly', 'Containers', 'Options', 'Labels'];

describe('network objects', () => {
  it("has dockerd's keys, order and types for a user network: the -o options exactly as given", () => {
    const n = dockerNetwork(record());
    expect(Object.keys(n)).toEqual(KEYS);
    expect(n.IPAM).toEqual({ Driver: 'default', Options: {}, Config: [{ Subnet: '10.1.0.0/24', IPRange: '10.1.0.128/25', Gateway: '10.1.0.1' }] });
    expect(Object.keys(n.IPAM.Config[0] ?? {})).toEqual(['Subnet', 'IPRange', 'Gateway']);
    expect(n.Options).toEqual({ 'com.docker.network.driver.mtu': '1400' });
    expect(n.ConfigFrom).toEqual({ Network: '' });
    expect(n.Containers).toEqual({});
  });

  it("shows the default network with dockerd's default-bridge options and null IPAM options", () => {
    const n = dockerNetwork(record({ name: 'bridge', isDefault: true, bridge: 'np0', options: { 'com.docker.network.bridge.default_bridge': 'true' } }));
    expect(n.IPAM.Options).toBeNull();
    expect(n.Options).toEqual({
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
      'com.docker.network.bridge.name': 'np0',
      'com.docker.network.driver.mtu': '1500',
    });
  });

  it('gives host and none their drivers and the sandboxes in that mode', () => {
    const none = modeNetwork('none', derivedId('none'), 'T', [{ id: 'b'.repeat(64), name: 'quiet', mode: 'none' } as never, { id: 'c'.repeat(64), name: 'other', mode: 'host' } as never]);
    expect(Object.keys(none)).toEqual(KEYS);
    expect(none).toMatchObject({ Driver: 'null', IPAM: { Options: null, Config: [] } });
    expect(Object.values(none.Containers)).toEqual([{ Name: 'quiet', EndpointID: expect.stringMatching(/^[0-9a-f]{64}$/), MacAddress: '', IPv4Address: '', IPv6Address: '' }]);
    expect(modeNetwork('host', derivedId('host'), 'T').Driver).toBe('host');
  });
});

describe('filters', () => {
  it('reads both forms and refuses unknown keys', () => {
    expect([...parseFilters('{"label":{"a=b":true,"c":false}}', ['label'])]).toEqual([['label', ['a=b']]]);
    expect([...parseFilters('{"label":["a=b","c"]}', ['label'])]).toEqual([['label', ['a=b', 'c']]]);
    expect(() => parseFilters('{"colour":["red"]}', ['label'])).toThrow("Invalid filter 'colour'");
    expect(labelsMatch({ a: 'b', c: 'd' }, ['a=b', 'c'])).toBe(true);
    expect(labelsMatch({ a: 'b' }, ['a=x'])).toBe(false);
  });
});

describe('events', () => {
  const n = { id: 'a'.repeat(64), name: 'shop' };
  const s = { id: 'b'.repeat(64), name: 'web' };
  const endpoint: ModelEvent = { type: 'endpoint', action: 'create', time: 1700000000123.5, sandbox: s, network: n, endpoint: { id: 'e', ifname: 'eth0', mac: 'm', ipv4: '10.1.0.2' } };

  it("turns endpoint and network events into Docker's network events, and no others", () => {
    expect(dockerEvent(endpoint)).toEqual({ Type: 'network', Action: 'connect', Actor: { ID: n.id, Attributes: { container: s.id, name: 'shop', type: 'bridge' } }, scope: 'local', time: 1700000000, timeNano: 1700000000123500000 });
    expect(dockerEvent({ type: 'network', action: 'remove', time: 1, network: { ...n, driver: 'bridge' } })?.Action).toBe('destroy');
    expect(dockerEvent({ type: 'firewall', action: 'repair', time: 1 })).toBeUndefined();
  });

  it('filters by type, event, network and container, by name or id', () => {
    const d = dockerEvent(endpoint)!;
    expect(eventMatches(d, parseFilters('{"type":["network"],"event":["connect"],"network":["shop"]}', ['type', 'event', 'network']), {})).toBe(true);
    expect(eventMatches(d, parseFilters(`{"network":["${n.id.slice(0, 12)}"],"container":["web"]}`, ['network', 'container']), { container: 'web' })).toBe(true);
    expect(eventMatches(d, parseFilters('{"event":["destroy"]}', ['event']), {})).toBe(false);
    expect(parseEventTime('1700000000.5', 'since')).toBe(1700000000500);
    expect(parseEventTime('2026-01-01T00:00:00Z', 'until')).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(() => parseEventTime('yesterday', 'since')).toThrow(/invalid value for since/);
  });
});

describe('request bodies', () => {
  it("turns the docker CLI's create body into the model's options", () => {
    const body = networkCreateBody({ CheckDuplicate: true, Driver: 'bridge', Scope: '', EnableIPv6: true, IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '10.9.0.0/24', IPRange: '10.9.0.0/25', Gateway: '10.9.0.1' }, { Subnet: 'fd00::/64' }] }, Internal: true, Attachable: false, Ingress: false, ConfigOnly: false, ConfigFrom: null, Options: { 'com.docker.network.bridge.name': 'br9' }, Labels: { a: 'b' }, Name: 'n1' }, 'body');
    expect(createOptions(body)).toEqual({ name: 'n1', subnet: '10.9.0.0/24', gateway: '10.9.0.1', ipRange: '10.9.0.0/25', ipv6: { subnet: 'fd00::/64' }, internal: true, labels: { a: 'b' }, options: { 'com.docker.network.bridge.name': 'br9' } });
    expect(createOptions(networkCreateBody({ Name: 'n', Driver: 'overlay' }, 'body'))).toMatchObject({ driver: 'overlay' });
    expect(() => createOptions(networkCreateBody({ Name: 'n', Driver: 'weave' }, 'body'))).toThrow("driver 'weave' is not available");
    expect(() => createOptions(networkCreateBody({ Name: 'n', Driver: 'macvlan', Scope: 'swarm' }, 'body'))).toThrow(/scope 'swarm' for a macvlan network/);
    expect(() => createOptions(networkCreateBody({ Name: 'n', EnableIPv6: true }, 'body'))).toThrow(/EnableIPv6 needs an IPv6 subnet/);
  });

  it("turns the docker CLI's connect body into the model's options", () => {
    const body = networkConnectBody({ Container: 'c1', EndpointConfig: { IPAMConfig: { IPv4Address: '10.9.0.7' }, Links: null, Aliases: ['db'], NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: {} } }, 'body');
    expect(connectOptions(body)).toEqual({ ip: '10.9.0.7', aliases: ['db'] });
    expect(() => connectOptions(networkConnectBody({ Container: 'c1', EndpointConfig: { MacAddress: '02:00:00:00:00:01' } }, 'body'))).toThrow(/MAC address/);
  });
});
