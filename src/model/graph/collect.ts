// Reads the graph: the records from the state, the links and addresses from
// the kernel (the host namespace, and each sandbox's namespace opened as
// recorded, by its cookie), and puts both side by side. It changes nothing
// and takes no lock: a picture, not a repair (reconcile repairs).
import type { Address } from '../../addon/wire/addr.js';
import type { Link } from '../../addon/wire/link.js';
import { addrCalls } from '../../rtnl/addr.js';
import { linkCalls } from '../../rtnl/link.js';
import type { ModelContext } from '../context.js';
import { driverOf, isStacked } from '../networks/drivers/index.js';
import { openRecorded } from '../reconcile/endpoints.js';
import { HOST_VETH_PREFIX, isOurBridgeAlias } from '../state/names.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../state/records.js';
import { nodeIds, type Drift, type GraphEdge, type GraphNode, type HostGraph, type InterfaceNode, type NetworkNode, type Presence } from './types.js';

const OUR_HOST_END = new RegExp(`^${HOST_VETH_PREFIX}[0-9a-f]{12}$`);

interface KernelView {
  links: Link[];
  addresses: Address[];
}

async function read(ns: { exec(calls: unknown[]): Promise<unknown[]> }): Promise<KernelView> {
  const [links, addresses] = (await ns.exec([linkCalls.list(), addrCalls.list()])) as [Link[], Address[]];
  return { links, addresses };
}

function cidrsOf(view: KernelView, link: Link): string[] {
  return view.addresses.filter((a) => a.index === link.index && a.scope !== 'link').map((a) => a.cidr);
}

function prefixOf(subnet: string): string {
  return subnet.slice(subnet.indexOf('/'));
}

class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly edges: GraphEdge[] = [];
  readonly drift: Drift[] = [];

  add<N extends GraphNode>(n: N): N {
    this.nodes.push(n);
    return n;
  }

  edge(kind: GraphEdge['kind'], from: string, to: string, label?: string): void {
    this.edges.push({ kind, from, to, ...(label !== undefined ? { label } : {}) });
  }

  drifted(presence: Drift['presence'], node: string, message: string): void {
    this.drift.push({ presence, node, message });
  }
}

function networkNode(n: NetworkRecord, device: Link | undefined, presence: Presence): NetworkNode {
  return {
    kind: 'network',
    id: nodeIds.network(n.name),
    name: n.name,
    networkId: n.id,
    driver: driverOf(n),
    subnet: n.ipv4.subnet,
    gateway: n.ipv4.gateway,
    ...(n.ipv6 ? { subnet6: n.ipv6.subnet, gateway6: n.ipv6.gateway } : {}),
    device: n.bridge,
    deviceUp: device?.up ?? false,
    internal: n.internal,
    icc: n.icc,
    presence,
  };
}

function addNetworks(g: GraphBuilder, networks: readonly NetworkRecord[], host: KernelView): void {
  const byName = new Map(host.links.map((l) => [l.name, l]));
  for (const n of networks) {
    const device = byName.get(n.bridge);
    // macvlan/ipvlan parents are the user's devices: only a missing one is drift.
    const presence: Presence = device ? 'both' : 'state-only';
    const node = g.add(networkNode(n, device, presence));
    if (!device)
      g.drifted('state-only', node.id, `network '${n.name}': its ${isStacked(n) ? 'parent device' : 'bridge'} ${n.bridge} is not in the kernel (run \`netplumb reconcile\`)`);
  }
  const recorded = new Set(networks.map((n) => n.id));
  for (const l of host.links) {
    const id = isOurBridgeAlias(l.alias);
    if (l.linkKind !== 'bridge' || id === undefined || recorded.has(id)) continue;
    const node = g.add<NetworkNode>({
      kind: 'network', id: nodeIds.network(l.name), name: l.name, networkId: id, driver: 'bridge', subnet: '', gateway: '',
      device: l.name, deviceUp: l.up, internal: false, icc: true, presence: 'kernel-only',
    });
    g.drifted('kernel-only', node.id, `bridge ${l.name} carries netplumb's mark for network ${id.slice(0, 12)}, which no record has (reconcile deletes it)`);
  }
  // Docker's isolation: every bridge network drops what comes from another (to-<bridge> accepts only its own bridge and DNAT).
  const bridged = networks.filter((n) => !isStacked(n));
  for (let i = 0; i < bridged.length; i++)
    for (let j = i + 1; j < bridged.length; j++) {
      const [a, b] = [bridged[i] as NetworkRecord, bridged[j] as NetworkRecord];
      g.edge('isolated', nodeIds.network(a.name), nodeIds.network(b.name), a.internal || b.internal ? 'internal' : 'isolated');
    }
}

/** The record's idea of an interface, for one the kernel does not have. */
function recordedInterface(s: SandboxRecord, e: EndpointRecord, n: NetworkRecord | undefined): InterfaceNode {
  const addresses = [`${e.ipv4}${n ? prefixOf(n.ipv4.subnet) : ''}`, ...(e.ipv6 && n?.ipv6 ? [`${e.ipv6}${prefixOf(n.ipv6.subnet)}`] : [])];
  return {
    kind: 'interface', id: nodeIds.iface(s.name, e.ifname), sandbox: s.name, name: e.ifname,
    linkKind: n && isStacked(n) ? driverOf(n) : 'veth', mac: e.mac, addresses, up: false, presence: 'state-only',
  };
}

function kernelInterface(s: SandboxRecord, l: Link, view: KernelView, presence: Presence): InterfaceNode {
  return {
    kind: 'interface', id: nodeIds.iface(s.name, l.name), sandbox: s.name, name: l.name,
    linkKind: l.linkKind ?? 'device', mac: l.address ?? '', addresses: cidrsOf(view, l), up: l.up, presence,
  };
}

async function addSandbox(g: GraphBuilder, s: SandboxRecord, networks: ReadonlyMap<string, NetworkRecord>, hostLinks: ReadonlyMap<string, Link>, hostByIndex: ReadonlyMap<number, Link>, seenHostEnds: Set<string>): Promise<void> {
  const id = nodeIds.sandbox(s.name);
  const own = s.netns.kind === 'owned' || s.netns.kind === 'adopted';
  const ns = own ? await openRecorded(s) : undefined;
  const presence: Presence = own && !ns ? 'state-only' : 'both';
  g.add({ kind: 'sandbox', id, name: s.name, sandboxId: s.id, mode: s.mode, hostname: s.hostname, netns: s.netns.kind === 'host' ? '' : s.netns.path, presence });
  if (own && !ns) g.drifted('state-only', id, `sandbox '${s.name}': its namespace ${s.netns.path} is gone or is another namespace now (reconcile removes the sandbox)`);
  if (s.joinedTo !== undefined) g.edge('shares-netns', id, `sandbox-id:${s.joinedTo}`);
  let view: KernelView | undefined;
  try {
    view = ns ? await read(ns) : undefined;
  } finally {
    ns?.close();
  }
  const inside = new Map((view?.links ?? []).map((l) => [l.name, l]));
  for (const e of s.endpoints) {
    const n = networks.get(e.networkId);
    const link = inside.get(e.ifname);
    const iface = link && view ? kernelInterface(s, link, view, 'both') : recordedInterface(s, e, n);
    g.add(iface);
    g.edge('in', iface.id, id);
    if (!link && view) g.drifted('state-only', iface.id, `${s.name}/${e.ifname}: recorded on network '${n?.name ?? e.networkId}' but not in the sandbox's namespace (reconcile makes it again)`);
    const network = n ? nodeIds.network(n.name) : undefined;
    if (e.hostIfname === '') {
      if (network) g.edge('port-of', iface.id, network);
    } else {
      seenHostEnds.add(e.hostIfname);
      const h = hostLinks.get(e.hostIfname);
      const end = g.add({
        kind: 'host-end', id: nodeIds.hostEnd(e.hostIfname), name: e.hostIfname,
        master: h?.master != null ? (hostByIndex.get(h.master)?.name ?? '') : '', up: h?.up ?? false, presence: h ? 'both' : 'state-only',
      });
      if (!h) g.drifted('state-only', end.id, `host end ${e.hostIfname} of ${s.name}/${e.ifname} is not in the kernel (reconcile makes it again)`);
      g.edge('veth', end.id, iface.id);
      if (network) g.edge('port-of', end.id, network);
    }
    for (const p of e.ports) {
      const address = p.hostIp ?? '0.0.0.0';
      const port = nodeIds.hostPort(address, p.hostPort, p.protocol);
      if (!g.nodes.some((x) => x.id === port)) g.add({ kind: 'host-port', id: port, address, port: p.hostPort, protocol: p.protocol });
      g.edge('publishes', port, iface.id, `${e.ipv4}:${p.containerPort}/${p.protocol}`);
    }
  }
  // What the kernel has in the namespace that no endpoint records: lo is every namespace's own.
  const recorded = new Set(s.endpoints.map((e) => e.ifname));
  for (const l of view?.links ?? []) {
    if (l.name === 'lo' || recorded.has(l.name) || !view) continue;
    const iface = g.add(kernelInterface(s, l, view, 'kernel-only'));
    g.edge('in', iface.id, id);
    g.drifted('kernel-only', iface.id, `${s.name}/${l.name} (${l.linkKind ?? 'device'}) is in the sandbox's namespace but no endpoint records it (made outside netplumb)`);
  }
}

export async function collectGraph(ctx: ModelContext): Promise<HostGraph> {
  const [unsortedNetworks, unsortedSandboxes, host] = await Promise.all([ctx.state.networks(), ctx.state.sandboxes(), read(ctx.host)]);
  // By name: the same state gives the same graph, node for node.
  const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const networks = unsortedNetworks.sort(byName);
  const sandboxes = unsortedSandboxes.sort(byName);
  const g = new GraphBuilder();
  addNetworks(g, networks, host);
  const byId = new Map(networks.map((n) => [n.id, n]));
  const hostLinks = new Map(host.links.map((l) => [l.name, l]));
  const hostByIndex = new Map(host.links.map((l) => [l.index, l]));
  const seen = new Set<string>();
  const live = sandboxes.filter((s) => !s.removed);
  for (const s of live) await addSandbox(g, s, byId, hostLinks, hostByIndex, seen);
  // container:<id> edges name the sandbox by id until all are known.
  const nameOf = new Map(live.map((s) => [`sandbox-id:${s.id}`, nodeIds.sandbox(s.name)]));
  for (const e of g.edges) if (e.kind === 'shares-netns') e.to = nameOf.get(e.to) ?? e.to;
  // Host ends with this state's mark that no endpoint records.
  for (const l of host.links) {
    if (l.linkKind !== 'veth' || !OUR_HOST_END.test(l.name) || l.deviceGroup !== ctx.state.owner.id || seen.has(l.name)) continue;
    const master = l.master != null ? (hostByIndex.get(l.master)?.name ?? '') : '';
    const end = g.add({ kind: 'host-end', id: nodeIds.hostEnd(l.name), name: l.name, master, up: l.up, presence: 'kernel-only' });
    const network = networks.find((n) => n.bridge === master);
    if (network) g.edge('port-of', end.id, nodeIds.network(network.name));
    g.drifted('kernel-only', end.id, `host veth ${l.name} carries netplumb's mark but no endpoint records it (reconcile deletes it)`);
  }
  return { stateDir: ctx.state.dirs.runtime, nodes: g.nodes, edges: g.edges, drift: g.drift };
}
