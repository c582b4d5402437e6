// "Whole or gone", checked from outside: what one or more state roots say
// they own, read from their files with fs and JSON.parse (not through the
// library), against what the kernel reports through iproute2 and nft. Every
// object the kernel or the state holds that no whole record accounts for is
// leaked; every part of a whole record that is missing, down or wrong is
// broken; and each whole sandbox must carry traffic, straight to its address
// and through each of its published ports.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Netns, tcpProbe } from '../../../../src/index.js';
import { ownerOf } from '../../../../src/model/state/owner.js';
import { settledLinks } from '../../support/witness.js';

/** `ip -j [-n NS] ARGS` parsed, its stderr dropped (iproute2 warns about peers of namespaces being torn down). */
function ipJson<T>(netns: string | undefined, ...args: string[]): T {
  const out = execFileSync('ip', ['-j', ...(netns ? ['-n', netns] : []), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return (out.trim() === '' ? [] : JSON.parse(out)) as T;
}

function ipText(netns: string | undefined, ...args: string[]): string {
  return execFileSync('ip', [...(netns ? ['-n', netns] : []), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

export interface Root {
  stateDir: string;
  etcDir: string;
}

interface NetworkDoc {
  id: string;
  name: string;
  bridge: string;
  ipv4: { subnet: string; gateway: string };
  ipv6?: { subnet: string; gateway: string };
}
interface EndpointDoc {
  id: string;
  networkId: string;
  ifname: string;
  hostIfname: string;
  ipv4: string;
  ipv6?: string;
  gatewayRoute: boolean;
  ports: { protocol: string; hostIp?: string; hostPort: number; containerPort: number }[];
}
interface SandboxDoc {
  id: string;
  name: string;
  netns: { kind: string; path: string; name?: string; cookie?: string };
  endpoints: EndpointDoc[];
  filesDir?: string;
  removed?: boolean;
  pending?: string;
}

interface IpLink {
  ifname: string;
  ifindex: number;
  group?: string;
  master?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_slave_data?: { hairpin?: boolean } };
}

export interface AuditResult {
  /** Objects nothing whole accounts for. */
  leaked: string[];
  /** Parts of whole records that are missing or wrong. */
  broken: string[];
  /** The whole sandboxes and networks, by name. */
  sandboxes: string[];
  networks: string[];
}

function docs<T>(dir: string): { ok: T[]; bad: string[] } {
  const ok: T[] = [];
  const bad: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return { ok, bad };
  }
  for (const f of names) {
    if (!f.endsWith('.json')) continue;
    try {
      ok.push(JSON.parse(readFileSync(join(dir, f), 'utf8')) as T);
    } catch {
      bad.push(`unreadable ${join(dir, f)}`);
    }
  }
  return { ok, bad };
}

type NftValue = string | number | { concat: NftValue[] } | { elem: { val: NftValue; comment?: string } } | { prefix: { addr: string; len: number } };

function flat(v: NftValue): string {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if ('concat' in v) return v.concat.map(flat).join(' . ');
  if ('prefix' in v) return `${v.prefix.addr}/${v.prefix.len}`;
  return flat(v.elem.val);
}

/** Table inet netplumb in HOST as nft -j lists it (undefined when there is no such table). */
function listTable(host: string): Record<string, unknown>[] | undefined {
  try {
    const out = execFileSync('ip', ['netns', 'exec', host, 'nft', '-j', 'list', 'table', 'inet', 'netplumb'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return (JSON.parse(out) as { nftables: Record<string, unknown>[] }).nftables;
  } catch {
    return undefined;
  }
}

/** Elements of a set or map of the table as "key" → comment. */
function elements(table: Record<string, unknown>[] | undefined, kind: 'set' | 'map', name: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const obj = table?.find((o) => kind in o && (o[kind] as { name: string }).name === name)?.[kind] as { elem?: unknown[] } | undefined;
  for (const e of obj?.elem ?? []) {
    const key = (Array.isArray(e) ? e[0] : e) as NftValue;
    const comment = typeof key === 'object' && key !== null && 'elem' in key ? key.elem.comment : undefined;
    out.set(flat(key), comment);
  }
  return out;
}

function chains(table: Record<string, unknown>[] | undefined): string[] {
  return (table ?? []).filter((o) => 'chain' in o).map((o) => (o.chain as { name: string }).name);
}

const BASE_CHAINS = new Set(['prerouting', 'output', 'postrouting', 'forward']);

/**
 * Audits the state roots `roots` sharing the host namespace `host` (a name
 * under /run/netns). With `traffic`, every whole sandbox is probed with TCP
 * from the host: to its address, and through each published port.
 */
export async function audit(host: string, roots: readonly Root[], opts: { traffic?: boolean } = {}): Promise<AuditResult> {
  await settle(host, roots);
  const leaked: string[] = [];
  const broken: string[] = [];
  const result: AuditResult = { leaked, broken, sandboxes: [], networks: [] };

  // iproute2 prints a device group as a signed 32-bit number (or 'default' for 0).
  const links = ipJson<IpLink[]>(host, '-d', 'link', 'show').map((l) => ({ ...l, group: l.group === 'default' || l.group === undefined ? '0' : String(Number(l.group) >>> 0) }));
  const byName = new Map(links.map((l) => [l.ifname, l]));
  const namespaces = new Set(
    ipText(undefined, 'netns', 'list').split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => /^np-[0-9a-f]{12}$/.test(n)),
  );
  const anyNetworks = roots.some((r) => docs(join(r.stateDir, 'lib', 'networks')).ok.length > 0);
  const ownedNamespaces = new Set<string>();
  const table = listTable(host);
  if (!anyNetworks && table) leaked.push('table inet netplumb with no network of any owner');
  const owners = elements(table, 'set', 'owners');
  const portMaps = ['any_ports4', 'any_ports6', 'ports4', 'ports6'].map((m) => [m, elements(table, 'map', m)] as const);
  const networkMaps = ['from_bridge', 'to_bridge'].map((m) => [m, elements(table, 'map', m)] as const);
  const bridgesSet = elements(table, 'set', 'bridges');
  const allChains = chains(table);
  const wantedChains = new Set<string>(BASE_CHAINS);
  const wantedPortKeys = new Set<string>();
  const wantedBridges = new Set<string>();

  for (const root of roots) {
    const run = join(root.stateDir, 'run');
    const owner = ownerOf({ runtime: run, config: join(root.stateDir, 'lib') });
    const group = String(owner.id);
    leaked.push(...tempFiles(root.stateDir).map((f) => `temp file ${f}`), ...tempFiles(root.etcDir).map((f) => `temp file ${f}`));
    const netDocs = docs<NetworkDoc>(join(root.stateDir, 'lib', 'networks'));
    const sbDocs = docs<SandboxDoc>(join(run, 'sandboxes'));
    leaked.push(...netDocs.bad, ...sbDocs.bad);
    const networks = new Map(netDocs.ok.map((n) => [n.id, n]));
    const sandboxes = sbDocs.ok.filter((s) => {
      if (s.pending === undefined) return true;
      leaked.push(`pending record ${s.name} (${s.id.slice(0, 12)})`);
      return false;
    });
    const ownerKey = `0x${owner.tag}`;
    if (networks.size > 0 && !owners.has(String(owner.id)) && !owners.has(ownerKey)) broken.push(`${owner.root}: not in @owners`);
    if (networks.size === 0 && (owners.has(String(owner.id)) || owners.has(ownerKey))) leaked.push(`${owner.root}: in @owners without networks`);

    // Networks: bridge up, with gateway, marked; firewall chains and elements.
    for (const n of networks.values()) {
      const b = byName.get(n.bridge);
      wantedBridges.add(n.bridge);
      for (const c of [`from-${n.bridge}`, `to-${n.bridge}`, `nat-${n.bridge}`]) wantedChains.add(c);
      const faults: string[] = [];
      if (!b) faults.push('bridge missing');
      else {
        if (b.group !== group) faults.push(`bridge group ${b.group}`);
        if (!b.flags?.includes('UP')) faults.push('bridge down');
        const addrs = ipJson<{ addr_info: { local: string }[] }[]>(host, 'addr', 'show', 'dev', n.bridge);
        if (!addrs[0]?.addr_info.some((a) => a.local === n.ipv4.gateway)) faults.push('gateway address missing');
      }
      for (const c of [`from-${n.bridge}`, `to-${n.bridge}`, `nat-${n.bridge}`]) if (!allChains.includes(c)) faults.push(`chain ${c} missing`);
      for (const [m, els] of networkMaps) if (!els.has(`"${n.bridge}"`) && !els.has(n.bridge)) faults.push(`@${m} element missing`);
      if (!bridgesSet.has(`"${n.bridge}"`) && !bridgesSet.has(n.bridge)) faults.push('@bridges element missing');
      if (faults.length) broken.push(`network ${n.name}: ${faults.join(', ')}`);
      else result.networks.push(n.name);
    }
    // Stray links with this owner's mark.
    for (const l of links) {
      if (l.group !== group) continue;
      const kind = l.linkinfo?.info_kind;
      const known = kind === 'bridge' ? [...networks.values()].some((n) => n.bridge === l.ifname) : sandboxes.some((s) => s.endpoints.some((e) => e.hostIfname === l.ifname));
      if (!known) leaked.push(`link ${l.ifname} (${kind})`);
    }

    // State files derived from the records.
    const names = docs<{ id: string }>(join(run, 'sandbox-names'));
    leaked.push(...names.bad);
    const indexByName = new Map<string, string>();
    for (const f of (() => { try { return readdirSync(join(run, 'sandbox-names')); } catch { return []; } })())
      if (f.endsWith('.json')) try { indexByName.set(f.slice(0, -5), (JSON.parse(readFileSync(join(run, 'sandbox-names', f), 'utf8')) as { id: string }).id); } catch { /* counted above */ }
    const liveNames = new Map(sandboxes.filter((s) => !s.removed).map((s) => [s.name, s.id]));
    for (const [name, id] of indexByName) if (liveNames.get(name) !== id) leaked.push(`name index entry ${name}`);
    // One document per host port (ports/<protocol>-<port>.json).
    const portIndex: { endpoint: string; hostPort: number; protocol: string }[] = [];
    for (const f of (() => { try { return readdirSync(join(run, 'ports')); } catch { return []; } })()) {
      if (!f.endsWith('.json')) continue;
      try {
        portIndex.push(...(JSON.parse(readFileSync(join(run, 'ports', f), 'utf8')) as typeof portIndex));
      } catch {
        leaked.push(`unreadable ${join(run, 'ports', f)}`);
      }
    }
    const wantedIndex = new Set(sandboxes.flatMap((s) => s.endpoints.flatMap((e) => e.ports.map((p) => `${e.id} ${p.protocol} ${p.hostPort}`))));
    for (const p of portIndex) if (!wantedIndex.has(`${p.endpoint} ${p.protocol} ${p.hostPort}`)) leaked.push(`port index entry ${p.protocol}/${p.hostPort}`);
    const indexed = new Set(portIndex.map((p) => `${p.endpoint} ${p.protocol} ${p.hostPort}`));
    const liveAddresses = new Map<string, Map<string, string>>();
    for (const s of sandboxes)
      for (const e of s.endpoints) {
        const m = liveAddresses.get(e.networkId) ?? new Map<string, string>();
        m.set(e.ipv4, e.id);
        if (e.ipv6) m.set(e.ipv6.replace(/:/g, '_'), e.id);
        liveAddresses.set(e.networkId, m);
      }
    for (const net of (() => { try { return readdirSync(join(run, 'ipam')); } catch { return []; } })()) {
      const dir = join(run, 'ipam', net);
      for (const f of readdirSync(dir)) {
        if (!f.endsWith('.json') || f === 'last.json') continue;
        const addr = f.slice(0, -5);
        let owner: string | undefined;
        try {
          owner = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { owner: string }).owner;
        } catch {
          leaked.push(`unreadable ${join(dir, f)}`);
          continue;
        }
        if (!networks.has(net) || liveAddresses.get(net)?.get(addr) !== owner) leaked.push(`ipam entry ${net.slice(0, 12)}/${addr}`);
      }
    }
    const etcNetns = join(root.etcDir, 'netns');
    const liveEtc = new Set(sandboxes.filter((s) => s.netns.kind === 'owned').map((s) => s.netns.name));
    for (const d of (() => { try { return readdirSync(etcNetns); } catch { return []; } })()) if (!liveEtc.has(d)) leaked.push(`etc dir ${d}`);

    // Sandboxes: namespace, identity, links, addresses, routes, ports, files, traffic.
    for (const s of sandboxes) {
      if (s.netns.kind === 'owned' && s.netns.name) ownedNamespaces.add(s.netns.name);
      if (s.removed) continue;
      const faults: string[] = [];
      if (indexByName.get(s.name) !== s.id) faults.push('not found by name');
      const inNs = s.netns.kind === 'owned' || s.netns.kind === 'adopted';
      if (inNs && !existsSync(s.netns.path)) faults.push('namespace gone');
      let ns: Netns | undefined;
      if (inNs && existsSync(s.netns.path)) {
        try {
          ns = await Netns.open({ path: s.netns.path });
          if (s.netns.cookie !== undefined && (await ns.cookie()) !== s.netns.cookie) faults.push('namespace is another one');
        } catch {
          faults.push('namespace cannot be opened');
        }
      }
      try {
        for (const e of s.endpoints) {
          const n = networks.get(e.networkId);
          if (!n) {
            faults.push(`endpoint on missing network ${e.networkId.slice(0, 12)}`);
            continue;
          }
          const h = byName.get(e.hostIfname);
          if (!h) faults.push(`${e.hostIfname} missing`);
          else {
            if (!h.flags?.includes('UP')) faults.push(`${e.hostIfname} down`);
            if (h.master !== n.bridge) faults.push(`${e.hostIfname} not on ${n.bridge}`);
            if (h.linkinfo?.info_slave_data?.hairpin !== true) faults.push(`${e.hostIfname} without hairpin`);
            if (h.group !== group) faults.push(`${e.hostIfname} group ${h.group}`);
          }
          if (ns && s.netns.kind === 'owned' && s.netns.name) {
            const inside = ipJson<{ ifname: string; flags: string[]; addr_info: { local: string }[] }[]>(s.netns.name, 'addr', 'show');
            const eth = inside.find((l) => l.ifname === e.ifname);
            if (!eth) faults.push(`${e.ifname} missing inside`);
            else {
              if (!eth.flags.includes('UP')) faults.push(`${e.ifname} down inside`);
              if (!eth.addr_info.some((a) => a.local === e.ipv4)) faults.push(`${e.ipv4} missing inside`);
            }
            if (e.gatewayRoute) {
              const routes = ipJson<{ dst: string; gateway?: string }[]>(s.netns.name, 'route', 'show');
              if (!routes.some((r) => r.dst === 'default' && r.gateway === n.ipv4.gateway)) faults.push('default route missing');
            }
          }
          const ipam = join(run, 'ipam', n.id, `${e.ipv4}.json`);
          try {
            if ((JSON.parse(readFileSync(ipam, 'utf8')) as { owner: string }).owner !== e.id) faults.push(`ipam entry of ${e.ipv4} names another owner`);
          } catch {
            faults.push(`ipam entry of ${e.ipv4} missing`);
          }
          for (const p of e.ports) {
            const key = p.hostIp === undefined ? `${p.protocol} . ${p.hostPort}` : `${p.hostIp} . ${p.protocol} . ${p.hostPort}`;
            const map = p.hostIp === undefined ? 'any_ports4' : p.hostIp.includes(':') ? 'ports6' : 'ports4';
            wantedPortKeys.add(`${map} ${key}`);
            const comment = portMaps.find(([m]) => m === map)?.[1].get(key);
            if (comment === undefined) faults.push(`port ${key} missing`);
            else if (comment !== `${owner.tag}:${e.id}`) faults.push(`port ${key} is '${comment}'`);
            if (!indexed.has(`${e.id} ${p.protocol} ${p.hostPort}`)) faults.push(`port ${key} not in the port index`);
            if (p.hostIp === undefined && e.ipv6) wantedPortKeys.add(`any_ports6 ${p.protocol} . ${p.hostPort}`);
          }
        }
        if (s.netns.kind === 'owned' && s.netns.name) {
          const dir = join(root.etcDir, 'netns', s.netns.name);
          if (!existsSync(join(dir, 'hosts')) || !existsSync(join(dir, 'resolv.conf'))) faults.push('hosts or resolv.conf missing');
        }
        if (faults.length === 0 && opts.traffic && ns) {
          const hostNs = await Netns.open(host);
          try {
            for (const [i, e] of s.endpoints.entries()) {
              const n = networks.get(e.networkId) as NetworkDoc;
              const direct = await tcpProbe(hostNs, ns, { address: e.ipv4, listenAddress: '0.0.0.0', port: 7000 + i }).catch(() => undefined);
              if (direct?.bytes !== 32) faults.push(`no traffic to ${e.ipv4}`);
              for (const p of e.ports.filter((x) => x.protocol === 'tcp' && x.hostIp === undefined)) {
                const via = await tcpProbe(hostNs, ns, { address: n.ipv4.gateway, listenAddress: '0.0.0.0', port: p.containerPort, connectPort: p.hostPort }).catch(() => undefined);
                if (via?.bytes !== 32) faults.push(`no traffic through ${p.hostPort}`);
              }
            }
          } finally {
            hostNs.close();
          }
        }
      } finally {
        ns?.close();
      }
      if (faults.length) broken.push(`sandbox ${s.name}: ${faults.join(', ')}`);
      else result.sandboxes.push(s.name);
    }
  }

  // Across owners: namespaces of no record, port elements and chains of nobody's.
  for (const n of namespaces) if (!ownedNamespaces.has(n)) leaked.push(`namespace ${n}`);
  for (const [m, els] of portMaps) for (const key of els.keys()) if (!wantedPortKeys.has(`${m} ${key}`)) leaked.push(`element @${m} ${key}`);
  for (const c of allChains) if (!wantedChains.has(c)) leaked.push(`chain ${c}`);
  for (const [m, els] of networkMaps)
    for (const key of els.keys()) if (!wantedBridges.has(key.replace(/"/g, ''))) leaked.push(`element @${m} ${key}`);
  for (const l of links)
    if (l.linkinfo?.info_kind === 'bridge' && /^np(-[0-9a-f]{12}|0)$/.test(l.ifname) && !wantedBridges.has(l.ifname)) leaked.push(`bridge ${l.ifname}`);
  for (const l of links) if (/^npv[0-9a-f]{12}$/.test(l.ifname) && l.group === '0') leaked.push(`unmarked veth ${l.ifname}`);
  return result;
}

/**
 * Waits (up to 3 s) for the kernel's background work: the veth pairs of a
 * namespace just deleted go with it in the kernel's own time (~50-80 ms
 * here), not when the deletion returns.
 */
async function settle(host: string, roots: readonly Root[]): Promise<void> {
  const ends = new Set<string>();
  for (const r of roots)
    for (const s of docs<SandboxDoc>(join(r.stateDir, 'run', 'sandboxes')).ok) for (const e of s.endpoints ?? []) ends.add(e.hostIfname);
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    const stray = ipJson<IpLink[]>(host, 'link', 'show').filter((l) => /^npv[0-9a-f]{12}$/.test(l.ifname) && !ends.has(l.ifname));
    if (stray.length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every temp file (a write or lock attempt cut short) under `dir`, except in the quarantine. */
function tempFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (e.name !== 'quarantine') walk(join(d, e.name));
      } else if (e.name.endsWith('.tmp')) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

/** The state root's files, as one text (for before/after comparisons of rejected input). */
export function stateFiles(root: Root): string {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      if (e === '.lock' || e.endsWith('.owner')) continue;
      try {
        out.push(`${p}\n${readFileSync(p, 'utf8')}`);
      } catch {
        walk(p);
      }
    }
  };
  walk(root.stateDir);
  walk(root.etcDir);
  return out.join('\n');
}

/** Kernel state of the host and the namespace list, as iproute2 and nft report it (for before/after comparisons). */
export function kernelState(host: string): string {
  const parts = [settledLinks(host), ipText(host, 'addr', 'show'), ipText(host, 'route', 'show', 'table', 'all'), ipText(undefined, 'netns', 'list')];
  parts.push(execFileSync('ip', ['netns', 'exec', host, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }));
  return parts
    .join('\n')
    .replace(/^\s+(RX|TX).*\n.*\n/gm, '')
    .replace(/packets \d+ bytes \d+/g, 'packets N bytes N')
    .replace(/\b(\w+_timer) +[\d.]+/g, '$1 N')
    .replace(/,LOWER_UP|NO-CARRIER,/g, '')
    .replace(/ state [A-Z]+ /g, ' state - ')
    .replace(/ tso_max_size \d+ tso_max_segs \d+/g, '')
    // Carrier follows a bridge's ports through the kernel's linkwatch, up to a second later.
    .replace(/ linkdown/g, '');
}
