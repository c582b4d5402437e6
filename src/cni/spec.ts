// The CNI specification's vocabulary as netplumb speaks it (SPEC.md of
// containernetworking/cni, versions 1.0.0 and 1.1.0): versions, commands,
// error codes, and the shape of results.

export const SUPPORTED_VERSIONS = ['1.0.0', '1.1.0'] as const;
export type CniVersion = (typeof SUPPORTED_VERSIONS)[number];
/** What an answer carries when the request named no usable version. */
export const LATEST_VERSION: CniVersion = '1.1.0';

export const COMMANDS = ['ADD', 'DEL', 'CHECK', 'VERSION', 'GC', 'STATUS'] as const;
export type CniCommand = (typeof COMMANDS)[number];
/** Commands spec 1.1.0 added: a request in 1.0.0 cannot ask for them. */
export const SINCE_1_1: ReadonlySet<CniCommand> = new Set(['GC', 'STATUS']);

/** Error codes: 1-99 the spec's, 100 and up netplumb's own. */
export const CODE = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  invalidEnvironment: 4,
  ioFailure: 5,
  undecodable: 6,
  invalidConfig: 7,
  tryAgainLater: 11,
  /** STATUS: cannot serve ADD (the address pool is used up). */
  notAvailable: 50,
  /** CHECK: the attachment is not as ADD left it; the message says what is missing. */
  checkFailed: 100,
  /** A static address, a host port or the interface name is taken. */
  conflict: 101,
  /** ADD: no free address is left in the network's pool. */
  noFreeAddress: 102,
  /** The kernel refused a request (errno, request and object in the details). */
  kernelRefused: 103,
  /** Anything else: a bug or an unexpected failure. */
  internal: 104,
} as const;

export interface CniInterface {
  name: string;
  mac?: string;
  /** 1.1.0 */
  mtu?: number;
  /** The namespace path for interfaces inside the container; absent for host interfaces. */
  sandbox?: string;
}

export interface CniIpConfig {
  /** CIDR: the address and the subnet's prefix length. */
  address: string;
  gateway?: string;
  /** Index into `interfaces`. */
  interface?: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** ADD's success result (and prevResult). */
export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: CniRoute[];
  dns?: CniDns;
}

export interface CniErrorResult {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

/** Semantic version order of two "x.y.z" strings (negative, zero, positive). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function isSupportedVersion(v: unknown): v is CniVersion {
  return typeof v === 'string' && (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}
