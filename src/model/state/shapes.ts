// What each kind of state document must look like to be used: a file that
// parses as JSON but is `null`, an array where an object belongs, or lacks a
// field the model reads is as damaged as one cut short. Each check returns
// what is wrong, in words, or undefined; the store then throws a StateError
// naming the file.
import type { DocumentCheck } from '../../store/state-store.js';

const ID = /^[0-9a-f]{64}$/;

type Shape = Record<string, (v: unknown) => boolean>;

const str = (v: unknown): boolean => typeof v === 'string';
const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';
const bool = (v: unknown): boolean => typeof v === 'boolean';
const id = (v: unknown): boolean => typeof v === 'string' && ID.test(v);
const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): boolean => Array.isArray(v) && v.every(str);
const port = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)?.slice(0, 40)}`;
}

function problemOf(doc: unknown, shape: Shape, what: string): string | undefined {
  if (!obj(doc)) return `it holds ${describe(doc)}, not ${what}`;
  for (const [key, ok] of Object.entries(shape)) if (!ok(doc[key])) return `its ${key} is ${doc[key] === undefined ? 'missing' : describe(doc[key])}, not what ${what} holds`;
  return undefined;
}

const pool = (v: unknown): boolean => obj(v) && str(v.subnet) && str(v.gateway) && optStr(v.ipRange) && (v.auxAddresses === undefined || (obj(v.auxAddresses) && Object.values(v.auxAddresses).every(str)));

const NETWORK: Shape = {
  id, name: str, bridge: str, ipv4: pool, internal: bool, icc: bool, masquerade: bool, isDefault: bool,
  ipv6: (v) => v === undefined || pool(v),
  mtu: (v) => v === undefined || Number.isInteger(v),
  hostBinding: optStr,
  labels: (v) => v === undefined || obj(v),
  options: (v) => v === undefined || obj(v),
};

const publishedPort = (v: unknown): boolean =>
  obj(v) && str(v.protocol) && port(v.hostPort) && port(v.containerPort) && optStr(v.hostIp);

const endpoint = (v: unknown): boolean =>
  obj(v) && id(v.id) && id(v.networkId) && str(v.ifname) && str(v.hostIfname) && str(v.mac) && str(v.ipv4) &&
  optStr(v.ipv6) && bool(v.gatewayRoute) && strings(v.aliases) && Array.isArray(v.ports) && v.ports.every(publishedPort);

const SANDBOX: Shape = {
  id, name: str, mode: str, hostname: str,
  netns: (v) => obj(v) && ['owned', 'adopted', 'host', 'joined'].includes(v.kind as string) && str(v.path) && optStr(v.name) && optStr(v.cookie),
  endpoints: (v) => Array.isArray(v) && v.every(endpoint),
  links: (v) => Array.isArray(v) && v.every((l) => obj(l) && str(l.sandbox) && str(l.alias)),
  joinedTo: (v) => v === undefined || id(v),
  joiners: (v) => v === undefined || (Array.isArray(v) && v.every(id)),
  pending: (v) => v === undefined || v === 'create',
  labels: (v) => v === undefined || obj(v),
};

/** networks/<id>.json: a NetworkRecord whose id is its file name. */
export function networkCheck(fileId: string): DocumentCheck {
  return (doc) => problemOf(doc, NETWORK, 'a network record') ?? ((doc as { id: string }).id !== fileId ? `it holds network ${(doc as { id: string }).id}, not ${fileId}` : undefined);
}

/** sandboxes/<id>.json: a SandboxRecord whose id is its file name. */
export function sandboxCheck(fileId: string): DocumentCheck {
  return (doc) => problemOf(doc, SANDBOX, 'a sandbox record') ?? ((doc as { id: string }).id !== fileId ? `it holds sandbox ${(doc as { id: string }).id}, not ${fileId}` : undefined);
}

/** sandbox-names/<name>.json: { id }. */
export const nameIndexCheck: DocumentCheck = (doc) => problemOf(doc, { id }, 'a name index entry');

/** ipam/<network>/<address>.json: { owner }. */
export const allocationCheck: DocumentCheck = (doc) => problemOf(doc, { owner: id }, 'an address allocation');

/** ipam/<network>/last.json: where allocation resumes. */
export const cursorCheck: DocumentCheck = (doc) => problemOf(doc, { ipv4: optStr, ipv6: optStr }, 'an allocation cursor');

/** ports/<protocol>-<port>.json: the bindings of that host port, each with its owner. */
export function portDocCheck(fileId: string): DocumentCheck {
  return (doc) => {
    if (!Array.isArray(doc)) return `it holds ${describe(doc)}, not the list of a host port's bindings`;
    const bad = doc.findIndex(
      (p) =>
        !(publishedPort(p) && str((p as { sandbox?: unknown }).sandbox) && id((p as { endpoint?: unknown }).endpoint)) ||
        `${(p as { protocol: string }).protocol}-${(p as { hostPort: number }).hostPort}` !== fileId,
    );
    return bad < 0 ? undefined : `its entry ${bad} is not a binding of ${fileId} with its owner`;
  };
}

const POOL: Shape = {
  id, endpointId: id, networkId: id, netnsName: str, hostIfname: str,
  owner: (v) => obj(v) && Number.isInteger(v.pid) && (v.pid as number) > 0,
};

/** pool/<id>.json: a PoolRecord whose id is its file name. */
export function poolCheck(fileId: string): DocumentCheck {
  return (doc) => problemOf(doc, POOL, 'a warm pool entry') ?? ((doc as { id: string }).id !== fileId ? `it holds pool entry ${(doc as { id: string }).id}, not ${fileId}` : undefined);
}
