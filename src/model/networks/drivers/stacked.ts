// macvlan and ipvlan networks, Docker's "underlay" drivers: no bridge, no
// NAT, no firewall chains. Each endpoint is a link stacked on the network's
// parent device, created straight into the sandbox's namespace, and the
// sandbox is addressed on the parent's own network (its gateway is that
// network's router). `parent=eth0.100` names an 802.1Q sub-interface of eth0:
// made with the network when missing, and then deleted with it, as Docker does.
import { ConflictError, KernelError, ValidationError } from '../../../core/errors.js';
import { interfaceName } from '../../../core/validate.js';
import { createPool, type PoolState } from '../../../addressing/ipam.js';
import { overlaps, parsePrefix } from '../../../addressing/ipnet.js';
import { addrCalls } from '../../../rtnl/addr.js';
import { linkCalls, type Link } from '../../../rtnl/link.js';
import { routeCalls } from '../../../rtnl/route.js';
import type { Call, NativeNetns } from '../../../addon/native.js';
import type { Plan, PlanRef } from '../../../addon/plan.js';
import type { Netns } from '../../../netns.js';
import type { EndpointRecord, NetworkRecord, ParentRecord } from '../../state/records.js';
import type { DriverCreateInput } from './input.js';

export type StackedDriver = 'macvlan' | 'ipvlan';

const MODE_KEY: Record<StackedDriver, string> = { macvlan: 'macvlan_mode', ipvlan: 'ipvlan_mode' };
const MODES: Record<StackedDriver, readonly string[]> = { macvlan: ['bridge', 'private', 'vepa', 'passthru'], ipvlan: ['l2', 'l3', 'l3s'] };
const EOPNOTSUPP = 95;

/** The parent and mode asked for in Docker's -o keys (parent, macvlan_mode, ipvlan_mode, ipvlan_flag). */
export function stackedParent(driver: StackedDriver, o: DriverCreateInput): ParentRecord {
  const opts = o.options ?? {};
  const known = new Set(['parent', MODE_KEY[driver], ...(driver === 'ipvlan' ? ['ipvlan_flag'] : []), 'com.docker.network.driver.mtu']);
  for (const k of Object.keys(opts))
    if (!known.has(k)) throw new ValidationError('options', `option ${k} is not a ${driver} option (known: ${[...known].join(', ')})`);
  if (opts.parent === undefined)
    throw new ValidationError('options', `a ${driver} network needs -o parent=IFACE: the device its sandboxes are stacked on`);
  const name = interfaceName(opts.parent, 'parent');
  const mode = opts[MODE_KEY[driver]] ?? MODES[driver][0]!;
  if (!MODES[driver].includes(mode)) throw new ValidationError('options', `${MODE_KEY[driver]} must be ${MODES[driver].join(', ')}, got '${mode}'`);
  const p: ParentRecord = { name, mode };
  if (driver === 'ipvlan' && opts.ipvlan_flag !== undefined) {
    if (!['bridge', 'private', 'vepa'].includes(opts.ipvlan_flag))
      throw new ValidationError('options', `ipvlan_flag must be bridge, private or vepa, got '${opts.ipvlan_flag}'`);
    p.flags = opts.ipvlan_flag;
  }
  const vlan = /^(.+)\.(\d{1,4})$/.exec(name);
  if (vlan) {
    const id = Number(vlan[2]);
    if (id < 1 || id > 4094) throw new ValidationError('options', `parent ${name}: an 802.1Q id is 1-4094`);
    p.vlan = { id, lower: vlan[1]!, created: false };
  }
  return p;
}

async function linkNamed(host: Netns, name: string): Promise<Link | undefined> {
  const [links] = (await host.exec([linkCalls.list()])) as [Link[]];
  return links.find((l) => l.name === name);
}

/**
 * The record of a new macvlan/ipvlan network, checked against the host and
 * the other networks: the parent (or, for eth0.100, eth0) must exist, and no
 * other network on the same parent may overlap its subnet.
 */
export async function stackedNetworkRecord(
  host: Netns,
  driver: StackedDriver,
  o: DriverCreateInput,
  existing: readonly NetworkRecord[],
  base: Pick<NetworkRecord, 'id' | 'name' | 'labels' | 'options' | 'created'>,
): Promise<NetworkRecord> {
  const parent = stackedParent(driver, o);
  for (const [key, given] of [['ipv6', o.ipv6], ['bridge', o.bridge], ['hostBinding', o.hostBinding]] as const)
    if (given !== undefined) throw new ValidationError(key, `${key} is not a ${driver} option`);
  if (o.subnet === undefined)
    throw new ValidationError('subnet', `a ${driver} network needs --subnet: the parent network's subnet, where its sandboxes take addresses`);
  if (!(await linkNamed(host, parent.name))) {
    if (!parent.vlan) throw new ValidationError('options', `parent ${parent.name} does not exist on this host`);
    if (!(await linkNamed(host, parent.vlan.lower)))
      throw new ValidationError('options', `parent ${parent.name}: its device ${parent.vlan.lower} does not exist on this host`);
    parent.vlan.created = true;
  }
  const subnet = parsePrefix(o.subnet, 'subnet');
  for (const n of existing) {
    if (n.parent?.name !== parent.name) continue;
    if (overlaps(subnet, parsePrefix(n.ipv4.subnet, 'subnet')))
      throw new ConflictError('subnet-in-use', `parent ${parent.name} is already the parent of network '${n.name}', whose subnet ${n.ipv4.subnet} overlaps ${o.subnet}`);
  }
  const others = existing.filter((n) => n.parent?.name !== parent.name).map((n) => ({ subnet: n.ipv4.subnet, network: n.name }));
  const pool: PoolState = createPool({ subnet: o.subnet, gateway: o.gateway, ipRange: o.ipRange, family: 4, auxAddresses: o.auxAddresses }, { networks: others });
  const { allocated: _a, last: _l, ...ipv4 } = pool;
  const n: NetworkRecord = {
    ...base,
    driver,
    isDefault: false,
    bridge: parent.name,
    ipv4,
    internal: o.internal ?? false,
    icc: true,
    masquerade: false,
    parent,
  };
  if (o.mtu !== undefined) n.mtu = o.mtu;
  else if (o.options?.['com.docker.network.driver.mtu'] !== undefined) n.mtu = Number(o.options['com.docker.network.driver.mtu']);
  return n;
}

const probeName = (n: NetworkRecord): string => `npp${n.id.slice(0, 12)}`;

/**
 * What making the network changes on the host: the 802.1Q parent when the
 * network brings its own, and a probe link made and deleted at once, so that
 * a kernel without the driver (CONFIG_IPVLAN, CONFIG_MACVLAN) refuses the
 * network rather than its first sandbox.
 */
export function stackedNetworkCalls(n: NetworkRecord): Call[] {
  const p = n.parent as ParentRecord;
  const calls: Call[] = [];
  if (p.vlan?.created) calls.push(linkCalls.addVlan({ name: p.name, parent: p.vlan.lower, id: p.vlan.id, up: true, readBack: false }));
  calls.push(stackedLinkCall(n, probeName(n)), linkCalls.delete(probeName(n)));
  return calls;
}

export function stackedRemovalCalls(n: NetworkRecord): Call[] {
  return n.parent?.vlan?.created ? [linkCalls.delete(n.parent.name, { ifExists: true })] : [];
}

/** Turns the kernel's "Unknown device type" into what to do about it. */
export function explainStackedFailure(n: NetworkRecord, e: unknown): unknown {
  if (e instanceof KernelError && e.errno === EOPNOTSUPP) {
    const what = e.object === n.parent?.name ? `802.1Q sub-interfaces (CONFIG_VLAN_8021Q), needed for parent ${n.parent.name}` : `${n.driver} links (CONFIG_${n.driver.toUpperCase()})`;
    return new ValidationError('driver', `this kernel cannot make ${what}: ${e.message}`);
  }
  return e;
}

function stackedLinkCall(n: NetworkRecord, name: string, extra: { netns?: NativeNetns | PlanRef; address?: string; up?: boolean } = {}): Call {
  const p = n.parent as ParentRecord;
  const common = {
    name,
    parent: p.name,
    readBack: false,
    ...(n.mtu !== undefined ? { mtu: n.mtu } : {}),
    ...(extra.netns ? { netns: extra.netns } : {}),
    ...(extra.up ? { up: true } : {}),
    ...(n.ipv6 ? {} : { addrGenMode: 'none' as const }),
  };
  if (n.driver === 'ipvlan') return linkCalls.addIpvlan({ ...common, mode: p.mode as 'l2', ...(p.flags ? { flags: p.flags as 'bridge' } : {}) });
  return linkCalls.addMacvlan({ ...common, mode: p.mode as 'bridge', ...(extra.address ? { address: extra.address } : {}) });
}

function prefixLength(subnet: string): number {
  return Number(subnet.slice(subnet.indexOf('/') + 1));
}

/** The endpoint: its link made in the sandbox under its final name, up, addressed, with the default route via the network's router. */
export function addStackedEndpointCalls(plan: Plan, sandbox: NativeNetns | PlanRef, e: EndpointRecord, n: NetworkRecord): void {
  // ipvlan slaves share the parent's MAC: only macvlan takes the endpoint's own.
  plan.add(stackedLinkCall(n, e.ifname, { netns: sandbox, up: true, ...(n.driver === 'macvlan' ? { address: e.mac } : {}) }));
  plan.add(addrCalls.add({ dev: e.ifname, address: `${e.ipv4}/${prefixLength(n.ipv4.subnet)}` }), sandbox);
  if (e.gatewayRoute) plan.add(routeCalls.add({ destination: 'default', gateway: n.ipv4.gateway }), sandbox);
}
