// Docker's request bodies for networks, every field the docker CLI 20.10 and
// dockerode send (field names matched without regard to case, as Go does),
// and their translation into the model's options. What netplumb's bridge
// driver cannot do is refused here with a 400 that says so, before anything
// is created.
import { RequestError } from '../../core/errors.js';
import type { NetworkConnectOptions, NetworkCreateOptions, NetworkDriver } from '../../model/index.js';
import { bool, int, list, nullable, object, str, stringMap } from '../http/schema.js';

const c = { caseless: true };

const ipamConfig = object({}, { Subnet: str, IPRange: str, Gateway: str, AuxiliaryAddresses: nullable(stringMap) }, c);

export const networkCreateBody = object(
  { Name: str },
  {
    CheckDuplicate: bool,
    Driver: str,
    Scope: str,
    EnableIPv6: bool,
    IPAM: nullable(object({}, { Driver: str, Options: nullable(stringMap), Config: nullable(list(ipamConfig)) }, c)),
    Internal: bool,
    Attachable: bool,
    Ingress: bool,
    ConfigOnly: bool,
    ConfigFrom: nullable(object({}, { Network: str }, c)),
    Options: nullable(stringMap),
    Labels: nullable(stringMap),
  },
  c,
);

export const networkConnectBody = object(
  { Container: str },
  {
    EndpointConfig: nullable(
      object(
        {},
        {
          IPAMConfig: nullable(object({}, { IPv4Address: str, IPv6Address: str, LinkLocalIPs: nullable(list(str)) }, c)),
          Links: nullable(list(str)),
          Aliases: nullable(list(str)),
          NetworkID: str,
          EndpointID: str,
          Gateway: str,
          IPAddress: str,
          IPPrefixLen: int,
          IPv6Gateway: str,
          GlobalIPv6Address: str,
          GlobalIPv6PrefixLen: int,
          MacAddress: str,
          DriverOpts: nullable(stringMap),
        },
        c,
      ),
    ),
  },
  c,
);

export const networkDisconnectBody = object({ Container: str }, { Force: bool }, c);

const unsupported = (what: string): RequestError => new RequestError(400, `netplumb's network drivers do not support ${what}`);

const DRIVERS: readonly NetworkDriver[] = ['bridge', 'overlay', 'macvlan', 'ipvlan'];

export function createOptions(b: ReturnType<typeof networkCreateBody>): NetworkCreateOptions {
  const driver = (b.Driver === undefined || b.Driver === '' ? 'bridge' : b.Driver) as NetworkDriver;
  if (!DRIVERS.includes(driver)) throw new RequestError(400, `driver '${b.Driver}' is not available: netplumbd has the drivers ${DRIVERS.join(', ')}`);
  const scope = driver === 'overlay' ? 'global' : 'local';
  if (b.Scope !== undefined && b.Scope !== '' && b.Scope !== scope) throw unsupported(`scope '${b.Scope}' for a ${driver} network (its scope is ${scope})`);
  if (b.Attachable) throw unsupported('attachable (a swarm setting)');
  if (b.Ingress) throw unsupported('ingress networks (a swarm setting)');
  if (b.ConfigOnly || (b.ConfigFrom?.Network ?? '') !== '') throw unsupported('configuration-only networks');
  const ipam = b.IPAM;
  if (ipam?.Driver !== undefined && ipam.Driver !== '' && ipam.Driver !== 'default') throw unsupported(`IPAM driver '${ipam.Driver}'`);
  if (ipam?.Options && Object.keys(ipam.Options).length > 0) throw unsupported('IPAM options');
  const o: NetworkCreateOptions = { name: b.Name, labels: b.Labels ?? {}, options: b.Options ?? {} };
  if (driver !== 'bridge') o.driver = driver;
  let v4 = false;
  for (const cfg of ipam?.Config ?? []) {
    // Each config's aux addresses belong to its subnet; the model sorts them by family again.
    if (cfg.AuxiliaryAddresses) o.auxAddresses = { ...o.auxAddresses, ...cfg.AuxiliaryAddresses };
    const v6 = (cfg.Subnet ?? cfg.Gateway ?? cfg.IPRange ?? '').includes(':');
    if (v6) {
      if (!b.EnableIPv6) throw new RequestError(400, 'an IPv6 subnet needs EnableIPv6 (docker network create --ipv6)');
      if (o.ipv6) throw unsupported('more than one IPv6 subnet per network');
      if (cfg.Subnet === undefined) throw new RequestError(400, 'an IPv6 IPAM config needs its Subnet');
      if (cfg.IPRange !== undefined) throw unsupported('an IPv6 ip-range');
      o.ipv6 = { subnet: cfg.Subnet, ...(cfg.Gateway !== undefined ? { gateway: cfg.Gateway } : {}) };
    } else {
      if (v4) throw unsupported('more than one IPv4 subnet per network');
      v4 = true;
      if (cfg.Subnet !== undefined) o.subnet = cfg.Subnet;
      if (cfg.Gateway !== undefined) o.gateway = cfg.Gateway;
      if (cfg.IPRange !== undefined) o.ipRange = cfg.IPRange;
    }
  }
  if (b.EnableIPv6 && !o.ipv6) throw new RequestError(400, 'EnableIPv6 needs an IPv6 subnet in IPAM.Config (docker network create --ipv6 --subnet fd00::/64)');
  if (b.Internal) o.internal = true;
  return o;
}

export function connectOptions(b: ReturnType<typeof networkConnectBody>): NetworkConnectOptions {
  const e = b.EndpointConfig;
  if (e?.Links?.length) throw unsupported('links on network connect (use --link when creating the sandbox)');
  if (e?.MacAddress) throw unsupported('choosing the MAC address on network connect');
  if (e?.IPAMConfig?.LinkLocalIPs?.length) throw unsupported('link-local addresses');
  if (e?.DriverOpts && Object.keys(e.DriverOpts).length > 0) throw unsupported('driver options on an endpoint');
  const o: NetworkConnectOptions = { aliases: e?.Aliases ?? [] };
  if (e?.IPAMConfig?.IPv4Address) o.ip = e.IPAMConfig.IPv4Address;
  if (e?.IPAMConfig?.IPv6Address) o.ip6 = e.IPAMConfig.IPv6Address;
  return o;
}
