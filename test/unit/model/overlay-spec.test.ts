import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { overlayRequest } from '../../../src/model/networks/drivers/overlay/spec.js';
import { stackedParent } from '../../../src/model/networks/drivers/stacked.js';

describe('overlay options', () => {
  it('takes the VNI, host subnet size, port and MTU as Docker and flannel name them', () => {
    expect(overlayRequest({ name: 'ov', subnet: '10.244.0.0/16', options: { vni: '42', 'host-subnet-size': '26', 'vxlan-port': '8472' } })).toMatchObject({
      name: 'ov', subnet: '10.244.0.0/16', vni: 42, hostPrefixLength: 26, port: 8472, internal: false,
    });
    const d = overlayRequest({ name: 'ov', subnet: '10.244.0.0/16', internal: true, options: { 'com.docker.network.driver.overlay.vxlanid_list': '4097', 'com.docker.network.driver.mtu': '1400' } }, { port: 4790 });
    expect(d).toMatchObject({ vni: 4097, hostPrefixLength: 24, port: 4790, mtu: 1400, internal: true });
    expect(overlayRequest({ name: 'ov', subnet: '10.244.0.1/16' }).subnet).toBe('10.244.0.0/16');
    expect(overlayRequest({ name: 'ov', subnet: '10.244.0.0/16' }).vni).toBeUndefined();
  });

  it('refuses what an overlay cannot be', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{}, /needs --subnet/],
      [{ subnet: 'fd00::/48' }, /IPv4/],
      [{ subnet: '10.244.0.0/16', gateway: '10.244.0.1' }, /gateway is not an overlay option/],
      [{ subnet: '10.244.0.0/16', options: { vni: '0' } }, /vni=0/],
      [{ subnet: '10.244.0.0/16', options: { vni: '16777216' } }, /vni/],
      [{ subnet: '10.244.0.0/16', options: { vni: '5', 'com.docker.network.driver.overlay.vxlanid_list': '6' } }, /two VNIs/],
      [{ subnet: '10.244.0.0/24', options: { 'host-subnet-size': '24' } }, /only one/],
      [{ subnet: '10.244.0.0/16', options: { 'host-subnet-size': '8' } }, /larger than/],
      [{ subnet: '10.244.0.0/16', options: { learning: 'on' } }, /not an overlay option/],
      [{ subnet: '10.244.0.0/16', masquerade: false }, /masquerades/],
    ];
    for (const [o, message] of bad) expect(() => overlayRequest({ name: 'ov', ...o })).toThrow(message);
    expect(() => overlayRequest({ name: 'ov', subnet: 'x' })).toThrow(ValidationError);
  });
});

describe('macvlan and ipvlan options', () => {
  it('reads parent, mode and 802.1Q parents', () => {
    expect(stackedParent('macvlan', { name: 'm', options: { parent: 'eth0' } })).toEqual({ name: 'eth0', mode: 'bridge' });
    expect(stackedParent('ipvlan', { name: 'i', options: { parent: 'eth0.100', ipvlan_mode: 'l3', ipvlan_flag: 'private' } })).toEqual({
      name: 'eth0.100', mode: 'l3', flags: 'private', vlan: { id: 100, lower: 'eth0', created: false },
    });
  });

  it('refuses a missing parent, unknown modes and options, and an 802.1Q id out of range', () => {
    expect(() => stackedParent('macvlan', { name: 'm' })).toThrow(/parent=IFACE/);
    expect(() => stackedParent('macvlan', { name: 'm', options: { parent: 'eth0', macvlan_mode: 'l2' } })).toThrow(/macvlan_mode/);
    expect(() => stackedParent('macvlan', { name: 'm', options: { parent: 'eth0', ipvlan_mode: 'l2' } })).toThrow(/not a macvlan option/);
    expect(() => stackedParent('ipvlan', { name: 'i', options: { parent: 'eth0.4095' } })).toThrow(/1-4094/);
  });
});
