// The model's records as the firewall layer sees them.
import type { FirewallNetwork, PortMapping } from './firewall/index.js';
import type { EndpointRecord, NetworkRecord } from './records.js';

export function firewallNetwork(n: NetworkRecord): FirewallNetwork {
  const fw: FirewallNetwork = {
    bridge: n.bridge,
    subnets: [n.ipv4.subnet, ...(n.ipv6 ? [n.ipv6.subnet] : [])],
    internal: n.internal,
    icc: n.icc,
    masquerade: n.masquerade,
  };
  if (n.hostBinding !== undefined) fw.hostBinding = n.hostBinding;
  return fw;
}

export function portMappings(e: EndpointRecord): PortMapping[] {
  return e.ports.map((p) => {
    const m: PortMapping = {
      endpoint: e.id,
      hostPort: p.hostPort,
      protocol: p.protocol,
      containerIp: e.ipv4,
      containerPort: p.containerPort,
    };
    if (p.hostIp !== undefined) m.hostIp = p.hostIp;
    return m;
  });
}
