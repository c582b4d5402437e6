// The bodies of netplumb's own API: the model's option types, checked field
// by field (names exact, unknown ones refused), so that what reaches the
// model has the types it declares.
import type { RemoteExecOptions } from '../../client/remote-sandboxes.js';
import type { NetworkConnectOptions, NetworkCreateOptions, PortBinding, SandboxCreateOptions } from '../../model/index.js';
import { bool, either, int, list, literal, object, str, stringMap, type Check } from './schema.js';

const strings = list(str);

export const networkCreateBody: Check<NetworkCreateOptions> = object(
  { name: str },
  {
    driver: literal('bridge', 'overlay', 'macvlan', 'ipvlan'),
    subnet: str,
    gateway: str,
    ipRange: str,
    auxAddresses: stringMap,
    ipv6: object({ subnet: str }, { gateway: str }),
    internal: bool,
    icc: bool,
    masquerade: bool,
    mtu: int,
    bridge: str,
    hostBinding: str,
    labels: stringMap,
    options: stringMap,
  },
);

const hostPort = either(
  object({ kind: literal('fixed'), port: int }),
  either(object({ kind: literal('range'), start: int, end: int }), object({ kind: literal('random') }), 'a range or random host port'),
  "{kind: 'fixed', port}, {kind: 'range', start, end} or {kind: 'random'}",
);

const portBinding: Check<PortBinding> = object({ protocol: literal('tcp', 'udp', 'sctp'), containerPort: int, hostPort }, { hostIp: str });

export const sandboxCreateBody: Check<SandboxCreateOptions> = object(
  {},
  {
    name: str,
    network: str,
    ip: str,
    ip6: str,
    mac: str,
    aliases: strings,
    publish: list(either(str, portBinding, 'a -p string or a port binding object')),
    publishAll: bool,
    expose: strings,
    links: strings,
    hostname: str,
    netns: either(object({ path: str }), object({ pid: int }), '{path} or {pid}'),
    filesDir: str,
    dns: strings,
    dnsSearch: strings,
    dnsOptions: strings,
    extraHosts: strings,
    labels: stringMap,
    idempotencyKey: str,
  },
);

export const connectBody: Check<NetworkConnectOptions & { network: string }> = object({ network: str }, { ip: str, ip6: str, aliases: strings });

export const disconnectBody = object({ network: str });

export const execBody: Check<RemoteExecOptions & { argv: string[] }> = object({ argv: strings }, { input: str, env: stringMap, cwd: str, timeoutMs: int });
