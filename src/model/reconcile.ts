// After a restart or a crash: make the kernel and the state agree again.
// Sandboxes whose namespace is gone are removed; kernel objects that carry
// our names but belong to no record are deleted; addresses held by no live
// endpoint are freed; missing bridges and host veths are made again; and the
// firewall is rebuilt from the records in one transaction.
import { addrCalls } from '../rtnl/addr.js';
import { linkCalls, type Link } from '../rtnl/link.js';
import type { NativeNetns } from '../addon/native.js';
import { Netns, netnsCalls } from '../netns.js';
import { nftCalls } from '../nft/nftables.js';
import type { Change } from '../addon/wire/nft.js';
import type { ModelContext } from './context.js';
import { addEndpointCalls } from './sandboxes/endpoint-calls.js';
import { removeSandboxEtc, removeStrayEtc } from './sandboxes/etc-files.js';
import { baseChanges, FIREWALL_TABLE, networkChanges, publishChanges } from './firewall/index.js';
import { firewallNetwork, portMappings } from './firewall/view.js';
import { HOST_VETH_PREFIX, isOurBridgeAlias, NETNS_PREFIX } from './state/names.js';
import { createNetworkCalls } from './networks/network-calls.js';
import { sharedBaseChanges } from './firewall/setup.js';
import type { NetworkRecord, SandboxRecord } from './state/records.js';
import { forgetEndpoints, teardownKernel } from './sandboxes/sandbox-ops.js';
import type { TakenPort } from './state/port-store.js';
import { checkPool } from './sandboxes/pool-records.js';

export interface ReconcileReport {
  /** Sandboxes whose namespace had vanished, now removed. */
  removedSandboxes: string[];
  /** Kernel objects with our names that no record owned, now deleted. */
  removedNamespaces: string[];
  removedLinks: string[];
  /** Bridges and endpoints that were missing and were made again. */
  restoredBridges: string[];
  restoredEndpoints: string[];
  /** Addresses that were held by no live endpoint. */
  releasedAddresses: string[];
}

// Exactly the names the model derives from ids (names.ts): a prefix alone would
// also match the user's own namespaces and links that happen to start with np-.
const OUR_NETNS = new RegExp(`^${NETNS_PREFIX}[0-9a-f]{12}$`);
const OUR_HOST_VETH = new RegExp(`^${HOST_VETH_PREFIX}[0-9a-f]{12}$`);

async function namespaceAlive(s: SandboxRecord): Promise<boolean> {
  if (s.netns.kind === 'host') return true;
  try {
    const ns = await Netns.open({ path: s.netns.path });
    ns.close();
    return true;
  } catch {
    return false;
  }
}

/** The firewall as the records say it should be, replacing whatever is there, in one transaction. */
export function firewallRebuild(networks: readonly NetworkRecord[], sandboxes: readonly SandboxRecord[], owner: boolean): Change[] {
  const base = owner ? baseChanges({ owned: true }) : sharedBaseChanges();
  const table = base.find((c) => c.kind === 'table');
  const changes: Change[] = [];
  // Adding the table first makes the delete valid whether or not it exists.
  if (table) changes.push(table, { op: 'delete', kind: 'table', family: 'inet', name: FIREWALL_TABLE } as Change);
  // No network, no table: the ruleset is as it was before the first network.
  if (networks.length === 0) return changes;
  changes.push(...base);
  for (const n of networks) changes.push(...networkChanges(firewallNetwork(n)));
  const byId = new Map(networks.map((n) => [n.id, n]));
  for (const s of sandboxes)
    for (const e of s.endpoints) if (e.ports.length > 0 && byId.has(e.networkId)) changes.push(...publishChanges(portMappings(e)));
  return changes;
}

export async function reconcile(ctx: ModelContext): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    removedSandboxes: [],
    removedNamespaces: [],
    removedLinks: [],
    restoredBridges: [],
    restoredEndpoints: [],
    releasedAddresses: [],
  };
  await ctx.state.locked(async () => {
    const networks = await ctx.state.networks();
    const byId = new Map(networks.map((n) => [n.id, n]));
    let sandboxes = await ctx.state.sandboxes();

    // 1. Sandboxes whose namespace is gone (joined ones go with their owner's).
    const alive = new Map<string, boolean>();
    for (const s of sandboxes) if (s.netns.kind !== 'joined') alive.set(s.id, await namespaceAlive(s));
    for (const s of sandboxes) if (s.netns.kind === 'joined') alive.set(s.id, alive.get(s.joinedTo ?? '') ?? false);
    for (const s of sandboxes) {
      if (alive.get(s.id)) continue;
      await teardownKernel(ctx, s).catch(() => undefined);
      await forgetEndpoints(ctx, s.endpoints);
      await removeSandboxEtc(ctx, s);
      await ctx.state.removeSandbox(s);
      ctx.dns?.removeSandbox(s.id);
      report.removedSandboxes.push(s.name);
    }
    sandboxes = sandboxes.filter((s) => alive.get(s.id));

    // 2. Bridges: make missing ones again; delete ours that no network owns.
    const [links] = (await ctx.host.exec([linkCalls.list()])) as [Link[]];
    const names = new Set(links.map((l) => l.name));
    const restore = ctx.host.plan();
    const pool = await checkPool(ctx, links, networks);
    report.removedNamespaces.push(...pool.removed);
    const hostEnds = new Set([...sandboxes.flatMap((s) => s.endpoints.map((e) => e.hostIfname)), ...pool.kept.map((p) => p.hostIfname)]);
    for (const n of networks) {
      if (names.has(n.bridge)) continue;
      for (const c of createNetworkCalls(n, { first: false, owner: ctx.firewallOwner })) if (c.op !== 'nft.apply') restore.add(c);
      // Deleting a bridge releases its ports but leaves the veths: put the surviving ones back on it.
      for (const s of sandboxes)
        for (const e of s.endpoints) {
          if (e.networkId !== n.id || !names.has(e.hostIfname)) continue;
          restore.add(linkCalls.set(e.hostIfname, { master: n.bridge }));
          restore.add(linkCalls.setBridgePort(e.hostIfname, { hairpin: true }));
        }
      report.restoredBridges.push(n.bridge);
    }
    for (const l of links) {
      const owner = isOurBridgeAlias(l.alias);
      const strayBridge = owner !== undefined && !byId.has(owner);
      const strayVeth = l.linkKind === 'veth' && OUR_HOST_VETH.test(l.name) && !hostEnds.has(l.name);
      if (!strayBridge && !strayVeth) continue;
      restore.add(linkCalls.delete(l.name, { ifExists: true }));
      report.removedLinks.push(l.name);
    }
    if (restore.calls.length > 0) await restore.run();

    // 3. Endpoints whose veth pair someone deleted: made again in the live namespace.
    for (const s of sandboxes) {
      const missing = s.endpoints.filter((e) => !names.has(e.hostIfname) && byId.has(e.networkId));
      if (missing.length === 0 || s.netns.kind === 'host') continue;
      const plan = ctx.host.plan();
      const ns = plan.add<NativeNetns>(netnsCalls.open({ path: s.netns.path }));
      for (const e of missing) {
        plan.add(linkCalls.delete(e.ifname, { ifExists: true }), ns);
        addEndpointCalls(plan, ns, { ...e, ports: [] }, byId.get(e.networkId) as NetworkRecord);
      }
      const [handle] = (await plan.run()) as [NativeNetns];
      Netns.fromHandle(handle).close();
      report.restoredEndpoints.push(...missing.map((e) => `${s.name}/${e.ifname}`));
    }

    // 4. Named namespaces with our prefix that no sandbox owns.
    const owned = new Set([...sandboxes.filter((s) => s.netns.kind === 'owned').map((s) => s.netns.name), ...pool.kept.map((p) => p.netnsName)]);
    const stray = (await Netns.list(ctx.netnsDir)).filter((n) => OUR_NETNS.test(n) && !owned.has(n));
    if (stray.length > 0) await ctx.host.exec(stray.map((n) => netnsCalls.remove(n, { dir: ctx.netnsDir, ifExists: true })));
    report.removedNamespaces.push(...stray);

    // 5. IPAM and the port index from the live endpoints.
    const owners = new Set(sandboxes.flatMap((s) => s.endpoints.map((e) => e.id)));
    for (const id of await ctx.state.ipam.networks()) {
      if (!byId.has(id)) {
        await ctx.state.ipam.drop(id);
        continue;
      }
      const orphans = (await ctx.state.ipam.owners(id)).filter((a) => !owners.has(a.owner));
      report.releasedAddresses.push(...(await ctx.state.ipam.release(id, orphans)));
    }
    const ports: TakenPort[] = sandboxes.flatMap((s) => s.endpoints.flatMap((e) => e.ports.map((p) => ({ ...p, sandbox: s.name, endpoint: e.id }))));
    await ctx.state.ports.rebuild(ports);
    // Names and files reserved by creates that a crash cut short (their records were never written).
    await ctx.state.pruneSandboxNames(new Set(sandboxes.map((s) => s.id)));
    await removeStrayEtc(ctx, owned);

    // 6. The firewall, from the records.
    await ctx.host.exec([nftCalls.apply(firewallRebuild(networks, sandboxes, ctx.firewallOwner))]);
  });
  return report;
}
