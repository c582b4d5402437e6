// Networks as dockerd 20.10 shows them (GET /networks, /networks/{id}): its
// keys in its order and its JSON types (objects never null where dockerd
// sends {}, IPAM.Options null only for the predefined networks), the `-o`
// options exactly as given, and the predefined networks bridge, host and
// none. Netplumb keeps its own view (NetworkInspect) for its own API.
import { createHash } from 'node:crypto';
import type { NetworkInspect, NetworkRecord, SandboxInfo } from '../../model/index.js';

export interface DockerEndpoint {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

export interface DockerNetwork {
  Name: string;
  Id: string;
  Created: string;
  /** global: an overlay network, the same on every host of the cluster (as with dockerd's --cluster-store). */
  Scope: 'local' | 'global';
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: 'default'; Options: Record<string, string> | null; Config: { Subnet: string; IPRange?: string; Gateway?: string }[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, DockerEndpoint>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** The networks that always exist and can never be removed. */
export const PREDEFINED = ['bridge', 'host', 'none'] as const;

/** The modes a sandbox can be in without an endpoint: Docker's `host` and `none` networks. */
export const MODE_NETWORKS = ['host', 'none'] as const;
export type ModeNetwork = (typeof MODE_NETWORKS)[number];

/** A stable 64-hex id for a network with no record (host, none) or an endpoint that is no veth. */
export function derivedId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

function ipamConfig(p: NetworkRecord['ipv4']): DockerNetwork['IPAM']['Config'][number] {
  return { Subnet: p.subnet, ...(p.ipRange ? { IPRange: p.ipRange } : {}), Gateway: p.gateway, ...(p.auxAddresses ? { AuxiliaryAddresses: { ...p.auxAddresses } } : {}) };
}

/** dockerd's options of its default bridge network, with this one's values. */
function defaultBridgeOptions(n: NetworkRecord): Record<string, string> {
  return {
    'com.docker.network.bridge.default_bridge': 'true',
    'com.docker.network.bridge.enable_icc': String(n.icc),
    'com.docker.network.bridge.enable_ip_masquerade': String(n.masquerade),
    'com.docker.network.bridge.host_binding_ipv4': n.hostBinding ?? '0.0.0.0',
    'com.docker.network.bridge.name': n.bridge,
    'com.docker.network.driver.mtu': String(n.mtu ?? 1500),
  };
}

/** A network of a driver (user-defined or the default `bridge`). Containers: {} in lists, the endpoints in inspect. */
export function dockerNetwork(n: NetworkRecord, containers: NetworkInspect['Containers'] = {}): DockerNetwork {
  const driver = n.driver ?? 'bridge';
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: driver === 'overlay' ? 'global' : 'local',
    Driver: driver,
    EnableIPv6: n.ipv6 !== undefined,
    IPAM: { Driver: 'default', Options: n.isDefault ? null : {}, Config: [ipamConfig(n.ipv4), ...(n.ipv6 ? [ipamConfig(n.ipv6)] : [])] },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: { ...containers },
    Options: n.isDefault ? defaultBridgeOptions(n) : { ...n.options },
    Labels: { ...n.labels },
  };
}

/** `host` or `none`: no IPAM, driver host or null, the sandboxes in that mode as its containers. */
export function modeNetwork(name: ModeNetwork, id: string, created: string, sandboxes: readonly SandboxInfo[] = []): DockerNetwork {
  const containers: Record<string, DockerEndpoint> = {};
  for (const s of sandboxes)
    if (s.mode === name) containers[s.id] = { Name: s.name, EndpointID: derivedId('endpoint', id, s.id), MacAddress: '', IPv4Address: '', IPv6Address: '' };
  return {
    Name: name,
    Id: id,
    Created: created,
    Scope: 'local',
    Driver: name === 'host' ? 'host' : 'null',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: {},
    Labels: {},
  };
}
