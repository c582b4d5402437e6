// Records as the plain objects `docker network inspect` and `docker inspect`
// show (their key names), so that tools written for Docker read them as they are.
import type { NetworkDriver, NetworkRecord, PublishedPort, SandboxRecord } from './state/records.js';
import { byCodeUnits } from '../core/order.js';

export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  /** 'global' for an overlay (the cluster's), 'local' otherwise. */
  Scope: 'local' | 'global';
  Driver: NetworkDriver;
  EnableIPv6: boolean;
  IPAM: { Driver: 'default'; Options: Record<string, string>; Config: { Subnet: string; Gateway: string; IPRange?: string }[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigOnly: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

function poolConfig(p: NetworkRecord['ipv4']): { Subnet: string; Gateway: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> } {
  return { Subnet: p.subnet, Gateway: p.gateway, ...(p.ipRange ? { IPRange: p.ipRange } : {}), ...(p.auxAddresses ? { AuxiliaryAddresses: { ...p.auxAddresses } } : {}) };
}

export function networkInspect(n: NetworkRecord, sandboxes: readonly SandboxRecord[]): NetworkInspect {
  const containers: NetworkInspect['Containers'] = {};
  const v4len = n.ipv4.subnet.slice(n.ipv4.subnet.indexOf('/'));
  const v6len = n.ipv6 ? n.ipv6.subnet.slice(n.ipv6.subnet.indexOf('/')) : '';
  for (const s of sandboxes) {
    if (s.removed) continue;
    for (const e of s.endpoints) {
      if (e.networkId !== n.id) continue;
      containers[s.id] = {
        Name: s.name,
        EndpointID: e.id,
        MacAddress: e.mac,
        IPv4Address: `${e.ipv4}${v4len}`,
        IPv6Address: e.ipv6 ? `${e.ipv6}${v6len}` : '',
      };
    }
  }
  const driver = n.driver ?? 'bridge';
  const bridgeOptions: Record<string, string> = driver === 'macvlan' || driver === 'ipvlan' ? { parent: n.bridge } : {
    'com.docker.network.bridge.name': n.bridge,
    'com.docker.network.bridge.enable_icc': String(n.icc),
    'com.docker.network.bridge.enable_ip_masquerade': String(n.masquerade),
  };
  const options: Record<string, string> = {
    ...bridgeOptions,
    ...(n.hostBinding ? { 'com.docker.network.bridge.host_binding_ipv4': n.hostBinding } : {}),
    ...(n.mtu !== undefined ? { 'com.docker.network.driver.mtu': String(n.mtu) } : {}),
    ...(n.overlay ? { vni: String(n.overlay.vni), 'com.docker.network.driver.overlay.vxlanid_list': String(n.overlay.vni), 'vxlan-port': String(n.overlay.port), 'netplumb.overlay.device': n.overlay.device } : {}),
    ...n.options,
  };
  // An overlay's subnet is the cluster's; this host hands out addresses from its own part of it (IPRange).
  const v4 = n.overlay ? { Subnet: n.overlay.subnet, Gateway: n.ipv4.gateway, IPRange: n.ipv4.subnet } : poolConfig(n.ipv4);
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: n.overlay ? 'global' : 'local',
    Driver: driver,
    EnableIPv6: n.ipv6 !== undefined,
    IPAM: { Driver: 'default', Options: {}, Config: [v4, ...(n.ipv6 ? [poolConfig(n.ipv6)] : [])] },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigOnly: false,
    Containers: containers,
    Options: options,
    Labels: { ...n.labels },
  };
}

export interface SandboxEndpointInfo {
  network: string;
  networkId: string;
  endpointId: string;
  ifname: string;
  hostIfname: string;
  mac: string;
  ipv4: string;
  prefixLength: number;
  gateway: string;
  ipv6?: string;
  aliases: string[];
}

export interface SandboxInfo {
  id: string;
  name: string;
  mode: SandboxRecord['mode'];
  hostname: string;
  /** The namespace file: for `nsenter --net=PATH`, setns(2), or Netns.open({ path }). */
  netnsPath: string;
  /** Its name under the netns directory, for `ip netns exec NAME`, when it has one. */
  netnsName?: string;
  adopted: boolean;
  joinedTo?: string;
  networks: SandboxEndpointInfo[];
  ports: PublishedPort[];
  /** --label metadata ({} when none). */
  labels: Record<string, string>;
  created: string;
}

/** `network ls`: every network by name. */
export function networkList(networks: NetworkRecord[], sandboxes: readonly SandboxRecord[]): NetworkInspect[] {
  return networks.sort((a, b) => byCodeUnits(a.name, b.name)).map((n) => networkInspect(n, sandboxes));
}

/** `ps`: the sandboxes that are not removed, oldest first. */
export function sandboxList(sandboxes: readonly SandboxRecord[], networks: readonly NetworkRecord[]): SandboxInfo[] {
  return sandboxes.filter((s) => !s.removed).sort((a, b) => byCodeUnits(a.created, b.created)).map((s) => sandboxInfo(s, networks));
}

export function sandboxInfo(s: SandboxRecord, networks: readonly NetworkRecord[]): SandboxInfo {
  const byId = new Map(networks.map((n) => [n.id, n]));
  const info: SandboxInfo = {
    id: s.id,
    name: s.name,
    mode: s.mode,
    hostname: s.hostname,
    netnsPath: s.netns.path,
    adopted: s.netns.kind === 'adopted',
    networks: s.endpoints.map((e) => {
      const n = byId.get(e.networkId);
      const ep: SandboxEndpointInfo = {
        network: n?.name ?? e.networkId,
        networkId: e.networkId,
        endpointId: e.id,
        ifname: e.ifname,
        hostIfname: e.hostIfname,
        mac: e.mac,
        ipv4: e.ipv4,
        prefixLength: n ? Number(n.ipv4.subnet.split('/')[1]) : 0,
        gateway: n?.ipv4.gateway ?? '',
        aliases: [...e.aliases],
      };
      if (e.ipv6) ep.ipv6 = e.ipv6;
      return ep;
    }),
    ports: s.endpoints.flatMap((e) => e.ports),
    labels: { ...(s.labels ?? {}) },
    created: s.created,
  };
  if (s.netns.name !== undefined) info.netnsName = s.netns.name;
  if (s.joinedTo !== undefined) info.joinedTo = s.joinedTo;
  return info;
}
