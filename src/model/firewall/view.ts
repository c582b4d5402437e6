// The model's records as the firewall layer sees them.
import { isIP } from 'node:net';
import type { FirewallNetwork, PortMapping } from './index.js';
import type { EndpointRecord, NetworkRecord } from '../state/records.js';
import { ownerComment, type Owner } from '../state/owner.js';

/** The network as the firewall sees it; with `owner`, its chains and elements say who made them. */
export function firewallNetwork(n: NetworkRecord, owner?: Owner): FirewallNetwork {
  const fw: FirewallNetwork = {
    bridge: n.bridge,
    subnets: [n.ipv4.subnet, ...(n.ipv6 ? [n.ipv6.subnet] : [])],
    internal: n.internal,
    icc: n.icc,
    masquerade: n.masquerade,
  };
  if (n.hostBinding !== undefined) fw.hostBinding = n.hostBinding;
  if (owner !== undefined) fw.comment = ownerComment(owner, n.id);
  if (n.overlay) fw.overlay = { device: n.overlay.device, clusterSubnet: n.overlay.subnet };
  return fw;
}

/**
 * The firewall's mappings of an endpoint's published ports. A port on every
 * address is published for IPv4 to the endpoint's IPv4 address and, when the
 * endpoint has an IPv6 address, for IPv6 to that one (Docker's 0.0.0.0 and
 * ::). A port on one host address goes to the endpoint's address of that
 * family; an IPv6 host address on an endpoint without IPv6 keeps the IPv4
 * container address, which the firewall refuses as a family mismatch.
 */
export function portMappings(e: EndpointRecord, owner?: Owner): PortMapping[] {
  return e.ports.flatMap((p) => {
    const mapping = (containerIp: string): PortMapping => {
      const m: PortMapping = { endpoint: e.id, hostPort: p.hostPort, protocol: p.protocol, containerIp, containerPort: p.containerPort };
      if (p.hostIp !== undefined) m.hostIp = p.hostIp;
      if (owner !== undefined) m.owner = owner.tag;
      return m;
    };
    if (p.hostIp === undefined) return [mapping(e.ipv4), ...(e.ipv6 !== undefined ? [mapping(e.ipv6)] : [])];
    return [mapping(isIP(p.hostIp) === 6 ? (e.ipv6 ?? e.ipv4) : e.ipv4)];
  });
}
