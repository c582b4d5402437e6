// `networks.create({ driver: 'overlay', ... })` checked and turned into the
// network's cluster-wide definition, before the store or the kernel is asked.
import { ValidationError } from '../../../../core/errors.js';
import { formatPrefix, network, parsePrefix } from '../../../../addressing/ipnet.js';
import { hostCapacity } from '../../../../cluster/subnets.js';
import type { OverlaySpec } from '../../../../cluster/records.js';
import type { DriverCreateInput } from '../input.js';


export const DEFAULT_HOST_PREFIX = 24;
export const DEFAULT_VXLAN_PORT = 4789;
/** VNIs chosen for networks that name none start here, as Docker's overlay driver's do. */
export const FIRST_AUTO_VNI = 4096;
export const MAX_VNI = 2 ** 24 - 1;

/** Option keys, as Docker names them where Docker has a name. */
const VNI_KEYS = ['vni', 'com.docker.network.driver.overlay.vxlanid_list'];
const HOST_SIZE_KEY = 'host-subnet-size';
const PORT_KEY = 'vxlan-port';
const MTU_KEY = 'com.docker.network.driver.mtu';
const KNOWN = new Set([...VNI_KEYS, HOST_SIZE_KEY, PORT_KEY, MTU_KEY]);

function intOption(key: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new ValidationError('options', `option ${key}=${v} must be an integer from ${min} to ${max}`);
  return n;
}

/** Everything of the definition but its id and (when not asked for) its VNI. */
export type OverlayRequest = Omit<OverlaySpec, 'id' | 'vni'> & { vni?: number };

export function overlayRequest(o: DriverCreateInput, defaults: { port?: number } = {}): OverlayRequest {
  if (o.subnet === undefined)
    throw new ValidationError('subnet', 'an overlay network needs --subnet: the cluster CIDR every host takes its subnet from (e.g. 10.244.0.0/16)');
  // Host bits are dropped: every host's subnet is carved from the network.
  const subnet = formatPrefix(network(parsePrefix(o.subnet, 'subnet')));
  if (parsePrefix(subnet, 'subnet').family !== 4) throw new ValidationError('subnet', `an overlay's subnet must be IPv4, got ${o.subnet}`);
  for (const [key, given] of [['gateway', o.gateway], ['ipRange', o.ipRange], ['auxAddresses', o.auxAddresses], ['ipv6', o.ipv6], ['bridge', o.bridge], ['hostBinding', o.hostBinding]] as const)
    if (given !== undefined)
      throw new ValidationError(key, `${key} is not an overlay option: each host takes a subnet of the network and its gateway is the subnet's first address`);
  if (o.icc === false || o.masquerade === false)
    throw new ValidationError(o.icc === false ? 'icc' : 'masquerade', 'an overlay network always lets its sandboxes talk and masquerades what leaves the cluster (use internal for none)');
  const options = { ...(o.options ?? {}) };
  let vni: number | undefined;
  let hostPrefixLength = DEFAULT_HOST_PREFIX;
  let port = defaults.port ?? DEFAULT_VXLAN_PORT;
  let mtu = o.mtu;
  for (const [key, value] of Object.entries(options)) {
    if (typeof value !== 'string') throw new ValidationError('options', `option ${key} must be a string`);
    if (!KNOWN.has(key))
      throw new ValidationError('options', `option ${key} is not an overlay option (known: vni, host-subnet-size, vxlan-port, ${MTU_KEY})`);
    if (VNI_KEYS.includes(key)) {
      // Docker's vxlanid_list names one VNI per subnet; an overlay here has one subnet.
      if (key !== 'vni' && value.includes(',')) throw new ValidationError('options', `option ${key} takes one VNI here (one subnet per overlay)`);
      const n = intOption(key, value, 1, MAX_VNI);
      if (vni !== undefined && vni !== n) throw new ValidationError('options', `options give two VNIs (${vni} and ${n})`);
      vni = n;
    }
    if (key === HOST_SIZE_KEY) hostPrefixLength = intOption(key, value.replace(/^\//, ''), 1, 30);
    if (key === PORT_KEY) port = intOption(key, value, 1, 65535);
    if (key === MTU_KEY) mtu ??= intOption(key, value, 68, 65535);
  }
  const clusterLength = parsePrefix(subnet, 'subnet').prefixLength;
  if (hostPrefixLength < clusterLength)
    throw new ValidationError('options', `host-subnet-size /${hostPrefixLength} is larger than the network's subnet ${subnet}`);
  if (hostCapacity(subnet, hostPrefixLength) < 2n)
    throw new ValidationError('options', `subnet ${subnet} holds only one /${hostPrefixLength} host subnet: an overlay needs room for two hosts or more`);
  const spec: OverlayRequest = {
    name: o.name,
    subnet,
    hostPrefixLength,
    port,
    internal: o.internal ?? false,
    labels: { ...(o.labels ?? {}) },
    options,
    created: new Date().toISOString(),
  };
  if (vni !== undefined) spec.vni = vni;
  if (mtu !== undefined) spec.mtu = mtu;
  return spec;
}
