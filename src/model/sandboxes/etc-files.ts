// A sandbox's /etc/hosts and /etc/resolv.conf: written under
// <etc>/netns/<name>/ (where `ip netns exec` mounts them) and, when the caller
// asked, into a directory of its choice (a container's rootfs, a bundle).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateError } from '../../core/errors.js';
import { syncFs as fs } from '../../store/sync-fs.js';
import { netnsEtcDir } from '../../core/netns-paths.js';
import { hostsContent, writeSandboxFiles, type LinkedContainer } from '../../dns/hosts.js';
import { parseResolvConf, resolvConfContent, sandboxResolvConf, type ResolvConf } from '../../dns/resolv-conf.js';
import type { ModelContext } from '../context.js';
import type { NetworkRecord, SandboxRecord } from '../state/records.js';
import { servesDns } from '../networks/drivers/index.js';

function hostResolvConf(path = '/etc/resolv.conf'): ResolvConf {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return { nameservers: [], search: [], options: [] };
  }
}

/** The directories a sandbox's files go to. */
function targets(ctx: ModelContext, s: SandboxRecord): string[] {
  const dirs: string[] = [];
  if (s.netns.kind === 'owned' && s.netns.name !== undefined) dirs.push(netnsEtcDir(s.netns.name, ctx.etcDir));
  if (s.filesDir !== undefined) dirs.push(s.filesDir);
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

export async function writeSandboxEtc(ctx: ModelContext, s: SandboxRecord, files: { hosts: string; resolvConf: string }): Promise<void> {
  for (const dir of targets(ctx, s)) {
    try {
      await writeSandboxFiles(dir, files);
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
  try {
    await fs.rm(netnsEtcDir(s.netns.name, ctx.etcDir), { recursive: true, force: true });
  } catch (e) {
    // Something that is not a directory where the sandbox's would be: there is nothing of the sandbox's to remove.
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
