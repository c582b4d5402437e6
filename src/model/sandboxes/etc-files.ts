// A sandbox's /etc/hosts and /etc/resolv.conf: written under
// <etc>/netns/<name>/ (where `ip netns exec` mounts them) and, when the caller
// asked, into a directory of its choice (a container's rootfs, a bundle).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StateError } from '../../core/errors.js';
import { syncFs as fs } from '../../store/sync-fs.js';
import { netnsEtcDir } from '../../core/netns-paths.js';
import { hostsContent, writeSandboxFiles, type LinkedContainer } from '../../dns/hosts.js';
import { parseResolvConf, resolvConfContent, sandboxResolvConf, type ResolvConf } from '../../dns/resolv-conf.js';
import type { ModelContext } from '../context.js';
import type { NetworkRecord, SandboxRecord } from '../state/records.js';
import { servesDns } from '../networks/drivers/index.js';

const NO_RESOLV_CONF: ResolvConf = { nameservers: [], search: [], options: [] };
let hostConf: { path: string; key: string; conf: ResolvConf } | undefined;

/**
 * The host's resolv.conf, read again only when a stat says it changed. A
 * change within the file system's timestamp granularity of the read could
 * keep the same key, so a file modified less than a second before it was
 * read is not kept (git's "racily clean" rule).
 */
function hostResolvConf(path = '/etc/resolv.conf'): ResolvConf {
  let key: string;
  let modified: number;
  try {
    const st = statSync(path, { bigint: true });
    key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    modified = Number(st.mtimeMs > st.ctimeMs ? st.mtimeMs : st.ctimeMs);
  } catch {
    return NO_RESOLV_CONF;
  }
  if (hostConf?.path === path && hostConf.key === key) return hostConf.conf;
  let conf: ResolvConf;
  try {
    conf = parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return NO_RESOLV_CONF;
  }
  hostConf = Date.now() - modified > 1000 ? { path, key, conf } : undefined;
  return conf;
}

/** The directories a sandbox's files go to: ours under /etc/netns, the caller's, or both. */
function targets(ctx: ModelContext, s: SandboxRecord, which: 'netns' | 'filesDir' | 'both' = 'both'): string[] {
  const dirs: string[] = [];
  if (which !== 'filesDir' && s.netns.kind === 'owned' && s.netns.name !== undefined) dirs.push(netnsEtcDir(s.netns.name, ctx.etcDir));
  if (which !== 'netns' && s.filesDir !== undefined) dirs.push(s.filesDir);
  return dirs;
}

export function sandboxFiles(
  ctx: ModelContext,
  s: SandboxRecord,
  networks: ReadonlyMap<string, NetworkRecord>,
  links: LinkedContainer[],
): { hosts: string; resolvConf: string } {
  const hosts = hostsContent({
    hostname: s.hostname,
    addresses: s.endpoints.flatMap((e) => [e.ipv4, ...(e.ipv6 ? [e.ipv6] : [])]),
    aliases: [...new Set(s.endpoints.flatMap((e) => e.aliases))],
    links,
    ...(s.extraHosts ? { extraHosts: s.extraHosts } : {}),
    ipv6: s.endpoints.some((e) => e.ipv6 !== undefined),
  });
  // Like Docker: the embedded resolver when the sandbox is on a user network
  // (here it listens on that network's gateway), else the host's resolvers.
  const userNet = s.endpoints.map((e) => networks.get(e.networkId)).find((n) => n && servesDns(n));
  const dnsServer = userNet && ctx.dns ? userNet.ipv4.gateway : undefined;
  const conf = sandboxResolvConf(hostResolvConf(), {
    ...(dnsServer !== undefined && s.dns?.nameservers === undefined ? { dnsServer } : {}),
    ...(s.dns?.nameservers ? { nameservers: s.dns.nameservers } : {}),
    ...(s.dns?.search ? { search: s.dns.search } : {}),
    ...(s.dns?.options ? { options: s.dns.options } : {}),
  });
  return { hosts, resolvConf: resolvConfContent(conf) };
}

/**
 * Writes the files to /etc/netns/<name>/ and the caller's directory; `only`
 * limits it to one of them (a create writes its own directory while the
 * kernel works, the caller's only once the sandbox exists: a failed create
 * must leave the caller's files as they were).
 */
export async function writeSandboxEtc(ctx: ModelContext, s: SandboxRecord, files: { hosts: string; resolvConf: string }, only?: 'netns' | 'filesDir'): Promise<void> {
  for (const dir of targets(ctx, s, only)) {
    try {
      // Our own directory of a sandbox being made is new (its files are written in place); the caller's is replaced atomically.
      await writeSandboxFiles(dir, files, { fresh: s.pending === 'create' && only === 'netns' });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === undefined) throw e;
      throw new StateError(dir, `hosts and resolv.conf cannot be written there (${code}: ${(e as Error).message})`);
    }
  }
}

/** Removes what writeSandboxEtc wrote under /etc/netns (never the caller's own directory). */
export async function removeSandboxEtc(ctx: ModelContext, s: SandboxRecord): Promise<void> {
  if (s.netns.kind !== 'owned' || s.netns.name === undefined) return;
  const dir = netnsEtcDir(s.netns.name, ctx.etcDir);
  // The two files written and the directory: three calls, where a recursive rm lists and stats first.
  try {
    for (const f of ['hosts', 'resolv.conf'])
      await fs.unlink(join(dir, f)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    await fs.rmdir(dir);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    // Something that is not a directory where the sandbox's would be: there is nothing of the sandbox's to remove.
    if (code === 'ENOTDIR') return;
    // Anything else (more in it than our two files): the directory goes whole.
  }
  try {
    await fs.rm(dir, { recursive: true, force: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
  }
}

/** Whether any of the files writeSandboxEtc writes is missing (a crash before they were written, or someone removed them). */
export function sandboxEtcMissing(ctx: ModelContext, s: SandboxRecord): boolean {
  return targets(ctx, s).some((dir) => !existsSync(join(dir, 'hosts')) || !existsSync(join(dir, 'resolv.conf')));
}

/** The --link targets of `s` among `sandboxes`, on a network both are on (those that cannot be resolved are left out). */
export function linksAmong(s: SandboxRecord, sandboxes: readonly SandboxRecord[]): LinkedContainer[] {
  const out: LinkedContainer[] = [];
  for (const l of s.links) {
    const t = sandboxes.find((x) => x.name === l.sandbox || x.id === l.sandbox);
    const shared = t?.endpoints.find((te) => s.endpoints.some((e) => e.networkId === te.networkId));
    if (t && shared) out.push({ address: shared.ipv4, name: t.name, alias: l.alias, id: t.id, hostname: t.hostname });
  }
  return out;
}
