// The host's netplumb world as one graph: what the state records and what the
// kernel reports, side by side. Nodes and edges carry facts only; the
// renderers (render/) decide how they look. Node ids are stable and readable
// ("network:backend", "if:web1/eth0") so that a test or a script can look one up.

/** Where an object is known: both sides agree, or only one side has it (drift). */
export type Presence = 'both' | 'kernel-only' | 'state-only';

export interface NetworkNode {
  kind: 'network';
  id: string;
  name: string;
  networkId: string;
  driver: string;
  subnet: string;
  gateway: string;
  subnet6?: string;
  gateway6?: string;
  /** The bridge (bridge, overlay) or the parent device (macvlan, ipvlan); '' when a kernel-only bridge has no record. */
  device: string;
  deviceUp: boolean;
  internal: boolean;
  /** Whether sandboxes on it may talk to each other. */
  icc: boolean;
  presence: Presence;
}

export interface SandboxNode {
  kind: 'sandbox';
  id: string;
  name: string;
  sandboxId: string;
  mode: string;
  hostname: string;
  /** Its namespace's path ('' for host mode). */
  netns: string;
  presence: Presence;
}

/** An interface inside a sandbox's namespace. */
export interface InterfaceNode {
  kind: 'interface';
  id: string;
  sandbox: string;
  name: string;
  /** The kernel's link kind (veth, macvlan, ...), or the record's guess when the kernel has none. */
  linkKind: string;
  mac: string;
  /** Addresses as CIDRs: the kernel's when it has the interface, else the record's. */
  addresses: string[];
  up: boolean;
  presence: Presence;
}

/** The host's end of a sandbox's veth pair. */
export interface HostEndNode {
  kind: 'host-end';
  id: string;
  name: string;
  /** The bridge it is a port of ('' for none). */
  master: string;
  up: boolean;
  presence: Presence;
}

/** A published port on the host: address:port/protocol. */
export interface HostPortNode {
  kind: 'host-port';
  id: string;
  address: string;
  port: number;
  protocol: string;
}

export type GraphNode = NetworkNode | SandboxNode | InterfaceNode | HostEndNode | HostPortNode;

/**
 * - port-of: a host end is a port of a network's bridge (or a stacked
 *   interface sits on the network's parent device);
 * - veth: the two ends of a veth pair;
 * - in: an interface belongs to a sandbox;
 * - publishes: a published port, from the host address:port to the interface, label "ip:port/proto";
 * - isolated: two networks the firewall keeps apart (undirected);
 * - shares-netns: a container:<id> sandbox uses another's namespace.
 */
export type EdgeKind = 'port-of' | 'veth' | 'in' | 'publishes' | 'isolated' | 'shares-netns';

export interface GraphEdge {
  kind: EdgeKind;
  from: string;
  to: string;
  label?: string;
}

/** One disagreement between the kernel and the state. */
export interface Drift {
  presence: 'kernel-only' | 'state-only';
  /** The node it concerns. */
  node: string;
  /** What a person reads: what is where and what to do. */
  message: string;
}

export interface HostGraph {
  /** The state root drawn. */
  stateDir: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  drift: Drift[];
}

export const nodeIds = {
  network: (name: string) => `network:${name}`,
  sandbox: (name: string) => `sandbox:${name}`,
  iface: (sandbox: string, ifname: string) => `if:${sandbox}/${ifname}`,
  hostEnd: (name: string) => `host-end:${name}`,
  hostPort: (address: string, port: number, protocol: string) => `port:${address}:${port}/${protocol}`,
};

export type GraphFormat = 'text' | 'dot' | 'mermaid' | 'svg' | 'json';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['text', 'dot', 'mermaid', 'svg', 'json'];
