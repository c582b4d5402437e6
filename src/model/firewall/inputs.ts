// What the network manager hands the firewall, and the checks that turn bad
// input into a ValidationError before any change is built.
import { isIP } from 'node:net';
import { ValidationError } from '../../core/errors.js';
import { cidr, integer, interfaceName, ipAddress, oneOf } from '../../core/validate.js';

export interface FirewallNetwork {
  /** The network's bridge; its chains are named after it. */
  bridge: string;
  /** The network's subnets (CIDR), IPv4 and/or IPv6. */
  subnets: string[];
  /** Reaches nothing outside the bridge, and nothing outside reaches it. */
  internal: boolean;
  /** Containers on the bridge may talk to each other. */
  icc: boolean;
  /** Outbound traffic leaves with the host's address. */
  masquerade: boolean;
  /** Docker's com.docker.network.bridge.host_binding_ipv4: the host address for ports published without one. */
  hostBinding?: string;
  /** Said by the network's chains and map elements (the model's: its owner and network id). */
  comment?: string;
  /**
   * An overlay: its VXLAN device is part of the network (traffic from it is
   * the network's own, traffic into it is bound for the network), and what
   * goes to the cluster CIDR keeps its source address.
   */
  overlay?: { device: string; clusterSubnet: string };
}

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

export interface PortMapping {
  /** Who owns the port (an endpoint id); kept as the map element's comment. */
  endpoint: string;
  /** The owner tag of the state root the endpoint belongs to: the comment is then "<owner>:<endpoint>". */
  owner?: string;
  /** The host address the port is bound to; undefined (or 0.0.0.0 / ::) = every local address. */
  hostIp?: string;
  hostPort: number;
  /** With hostPortEnd, hostPort..hostPortEnd map to containerPort.. one to one (one element each). */
  hostPortEnd?: number;
  protocol: PortProtocol;
  containerIp: string;
  containerPort: number;
}

// Chain names are "from-<bridge>": the bridge name must be a valid interface
// name and fit nft's object names.
const CHAIN_SAFE = /^[A-Za-z0-9_.-]+$/;

export function checkBridge(name: unknown): string {
  const bridge = interfaceName(name, 'bridge');
  if (!CHAIN_SAFE.test(bridge))
    throw new ValidationError('bridge', `bridge '${bridge}' must hold only letters, digits, '_', '-', '.' to name its chains`);
  return bridge;
}

export function checkNetwork(n: FirewallNetwork): FirewallNetwork {
  if (typeof n !== 'object' || n === null) throw new ValidationError('network', 'network must be an object');
  checkBridge(n.bridge);
  if (!Array.isArray(n.subnets)) throw new ValidationError('subnets', 'subnets must be an array of CIDRs');
  for (const s of n.subnets) cidr(s, 'subnets');
  for (const k of ['internal', 'icc', 'masquerade'] as const)
    if (typeof n[k] !== 'boolean') throw new ValidationError(k, `${k} must be true or false`);
  if (n.hostBinding !== undefined) ipAddress(n.hostBinding, 'hostBinding');
  if (n.comment !== undefined && (typeof n.comment !== 'string' || Buffer.byteLength(n.comment) > 254))
    throw new ValidationError('comment', 'comment must be a string of at most 254 bytes');
  if (n.overlay !== undefined) {
    checkBridge(n.overlay.device);
    if (cidr(n.overlay.clusterSubnet, 'overlay.clusterSubnet').family !== 4)
      throw new ValidationError('overlay.clusterSubnet', 'an overlay cluster subnet is IPv4');
  }
  return n;
}

/** True for the addresses that mean "every local address". */
export function isUnspecified(addr: string): boolean {
  return addr === '0.0.0.0' || (isIP(addr) === 6 && /^[0:]+$/.test(addr));
}

/** One mapping per host port, checked, with the network's host binding applied. */
export function expandPorts(ports: PortMapping[], network?: Pick<FirewallNetwork, 'hostBinding'>): PortMapping[] {
  if (!Array.isArray(ports)) throw new ValidationError('ports', 'ports must be an array');
  const out: PortMapping[] = [];
  for (const p of ports) {
    if (typeof p.endpoint !== 'string' || p.endpoint.length === 0 || Buffer.byteLength(p.endpoint) > 200)
      throw new ValidationError('endpoint', 'endpoint must be a non-empty id of at most 200 bytes');
    if (p.owner !== undefined && (typeof p.owner !== 'string' || !/^[0-9a-f]{1,16}$/.test(p.owner)))
      throw new ValidationError('owner', 'owner must be an owner tag (hex digits)');
    const protocol = oneOf(p.protocol, 'protocol', ['tcp', 'udp', 'sctp'] as const);
    const family = ipAddress(p.containerIp, 'containerIp');
    let hostIp = p.hostIp ?? network?.hostBinding;
    if (hostIp !== undefined) {
      const hostFamily = ipAddress(hostIp, 'hostIp');
      // A network's default binding of the other family does not apply to this port.
      if (hostFamily !== family) {
        if (p.hostIp !== undefined)
          throw new ValidationError('hostIp', `host address ${hostIp} and container address ${p.containerIp} are of different families`);
        hostIp = undefined;
      } else if (isUnspecified(hostIp)) hostIp = undefined;
    }
    const first = integer(p.hostPort, 'hostPort', 1, 65535);
    const last = p.hostPortEnd === undefined ? first : integer(p.hostPortEnd, 'hostPortEnd', first, 65535);
    const containerPort = integer(p.containerPort, 'containerPort', 1, 65535);
    if (containerPort + (last - first) > 65535) throw new ValidationError('containerPort', 'the container port range passes 65535');
    for (let port = first; port <= last; port++) {
      const m: PortMapping = { endpoint: p.endpoint, hostPort: port, protocol, containerIp: p.containerIp, containerPort: containerPort + port - first };
      if (hostIp !== undefined) m.hostIp = hostIp;
      if (p.owner !== undefined) m.owner = p.owner;
      out.push(m);
    }
  }
  return out;
}
