// A sandbox's /etc/hosts as Docker writes it, and writing it with
// resolv.conf into a directory (a container's or /etc/netns/<name>/, where
// `ip netns exec` bind-mounts them over /etc).
import { syncFs as fs } from '../store/sync-fs.js';
import { join } from 'node:path';
import { ValidationError } from '../core/errors.js';
import { writeFileAtomic, writeNewFile } from '../store/atomic-file.js';
import { canonicalAddress } from '../addressing/ipnet.js';

export interface HostsRecord {
  address: string;
  names: string[];
}

/** A `--link name:alias` target. */
export interface LinkedContainer {
  address: string;
  /** The container's name. */
  name: string;
  /** The alias given in --link; defaults to the name. */
  alias?: string;
  /** The container's id; its first 12 characters are its default hostname. */
  id?: string;
  /** The container's hostname when it is not the short id. */
  hostname?: string;
}

export interface HostsOptions {
  hostname: string;
  domainname?: string;
  /** The sandbox's own addresses (IPv4 and IPv6), each written with its hostname and aliases. */
  addresses?: string[];
  /** Network aliases of the sandbox. */
  aliases?: string[];
  links?: LinkedContainer[];
  /** `--add-host` records. */
  extraHosts?: HostsRecord[];
  /** Write the IPv6 localhost and multicast lines (default true; Docker drops them when IPv6 is off). */
  ipv6?: boolean;
}

const V4_DEFAULTS: HostsRecord[] = [{ address: '127.0.0.1', names: ['localhost'] }];
const V6_DEFAULTS: HostsRecord[] = [
  { address: '::1', names: ['localhost', 'ip6-localhost', 'ip6-loopback'] },
  { address: 'fe00::0', names: ['ip6-localnet'] },
  { address: 'ff00::0', names: ['ip6-mcastprefix'] },
  { address: 'ff02::1', names: ['ip6-allnodes'] },
  { address: 'ff02::2', names: ['ip6-allrouters'] },
];

function hostName(name: string, field: string): string {
  if (name.length === 0 || name.length > 253 || !/^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(name))
    throw new ValidationError(field, `${field} '${name}' is not a valid host name`);
  return name;
}

function linkNames(link: LinkedContainer, i: number): string[] {
  const name = hostName(link.name, `links[${i}].name`);
  const alias = hostName(link.alias ?? name, `links[${i}].alias`);
  const host = link.hostname ?? link.id?.slice(0, 12);
  // Docker writes "alias hostname name", the name only when it differs from the alias.
  const names = [alias];
  if (host !== undefined && host !== alias) names.push(hostName(host, `links[${i}].hostname`));
  if (name !== alias && !names.includes(name)) names.push(name);
  return names;
}

/** /etc/hosts text: localhost lines, IPv6 lines, --add-host and links, then the sandbox itself. */
export function hostsContent(opts: HostsOptions): string {
  const hostname = hostName(opts.hostname, 'hostname');
  const records: HostsRecord[] = [...V4_DEFAULTS, ...(opts.ipv6 === false ? [] : V6_DEFAULTS)];
  for (const [i, r] of (opts.extraHosts ?? []).entries())
    records.push({
      address: canonicalAddress(r.address, `extraHosts[${i}].address`),
      names: r.names.map((n) => hostName(n, `extraHosts[${i}].names`)),
    });
  for (const [i, l] of (opts.links ?? []).entries())
    records.push({ address: canonicalAddress(l.address, `links[${i}].address`), names: linkNames(l, i) });
  const own = opts.domainname ? [`${hostname}.${hostName(opts.domainname, 'domainname')}`, hostname] : [hostname];
  for (const a of opts.aliases ?? []) if (!own.includes(a)) own.push(hostName(a, 'aliases'));
  for (const a of opts.addresses ?? []) records.push({ address: canonicalAddress(a), names: own });
  return records.map((r) => `${r.address}\t${r.names.join(' ')}\n`).join('');
}

/**
 * Writes `hosts` and `resolv.conf` atomically into `dir` (created if
 * missing). Not flushed: they serve a namespace, which dies with the machine,
 * and a rename is already atomic for readers and for a crash of the process.
 */
export async function writeSandboxFiles(dir: string, files: { hosts?: string; resolvConf?: string }, opts: { fresh?: boolean } = {}): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  for (const [name, text] of [['hosts', files.hosts], ['resolv.conf', files.resolvConf]] as const) {
    if (text === undefined) continue;
    const path = join(dir, name);
    // A sandbox being made has nobody reading its files yet, and a crash rolls them back with it: a file that is
    // not there yet is written in place. One that is there (someone's, or left over) is replaced atomically.
    if (opts.fresh && writeNewFile(path, text, 'none')) continue;
    await writeFileAtomic(path, text, { sync: 'none' });
  }
}
