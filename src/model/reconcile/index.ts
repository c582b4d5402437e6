// After a restart or a crash: make the kernel and the state agree again,
// under the state lock, touching only what this state root owns. Every
// operation ends whole or gone:
//   - damaged state files that cannot be rebuilt go to a quarantine directory;
//   - sandboxes whose creation never finished (pending records) are rolled
//     back, and sandboxes whose namespace vanished (or is another one now:
//     its cookie differs) are removed;
//   - endpoints on networks that are gone are taken out;
//   - missing bridges and endpoints are made again, links found down or off
//     their bridge and missing addresses and routes are put back;
//   - warm pool entries of engines that are gone (or not whole) are deleted;
//   - links carrying this state's mark that no record owns are deleted;
//   - IPAM entries, the name index, the port documents, joiners and the
//     sandboxes' hosts/resolv.conf are rebuilt from the records;
//   - this state's part of the firewall is brought in line by a diff.
import { rmSync } from 'node:fs';
import type { Link } from '../../addon/wire/link.js';
import { netnsEtcDir } from '../../core/netns-paths.js';
import { Netns, netnsCalls } from '../../netns.js';
import { linkCalls } from '../../rtnl/link.js';
import { addrCalls } from '../../rtnl/addr.js';
import type { Address } from '../../addon/wire/addr.js';
import type { ModelContext } from '../context.js';
import { bridgeCalls } from '../networks/network-calls.js';
import { linksAmong, removeSandboxEtc, sandboxEtcMissing, sandboxFiles, writeSandboxEtc } from '../sandboxes/etc-files.js';
import { destroySandbox, detachNetwork, teardownKernel, forgetEndpoints } from '../sandboxes/sandbox-ops.js';
import { HOST_VETH_PREFIX, sandboxNetnsName } from '../state/names.js';
import type { NetworkRecord, SandboxRecord } from '../state/records.js';
import { NETWORKS, SANDBOXES } from '../state/state.js';
import { openRecorded, repairEndpoints } from './endpoints.js';
import { checkPool, ownedNamespaces } from '../sandboxes/pool-records.js';
import { repairFirewall } from './firewall.js';
import { emptyReport, type ReconcileReport } from './report.js';
import { quarantine, removeLeftovers, repairIpam, repairJoiners, repairNameIndex, repairPortIndex } from './state-files.js';
import { driverOf } from '../networks/drivers/index.js';
import { isOurVxlanAlias } from '../networks/drivers/overlay/device.js';

export { emptyReport, repairCount, type ReconcileReport, type QuarantinedFile } from './report.js';
export { repairFirewall } from './firewall.js';

const OUR_HOST_VETH = new RegExp(`^${HOST_VETH_PREFIX}[0-9a-f]{12}$`);

function prefixOf(subnet: string): string {
  return subnet.slice(subnet.indexOf('/'));
}

/** Removes a sandbox that can no longer be whole: kernel side (tolerant of what is gone), state, files. */
async function removeGone(ctx: ModelContext, s: SandboxRecord): Promise<void> {
  await teardownKernel(ctx, s, { checked: true }).catch(() => undefined);
  await forgetEndpoints(ctx, s.endpoints);
  await removeSandboxEtc(ctx, s);
  await ctx.state.removeSandbox(s);
  ctx.dns?.removeSandbox(s.id);
}

async function hostLinks(ctx: ModelContext): Promise<Map<string, Link>> {
  const [links] = (await ctx.host.exec([linkCalls.list()])) as [Link[]];
  return new Map(links.map((l) => [l.name, l]));
}

/** Bridges: made again when missing (their surviving ports put back on them), brought up, given back their gateway address. */
async function repairBridges(ctx: ModelContext, networks: readonly NetworkRecord[], sandboxes: readonly SandboxRecord[], links: Map<string, Link>, report: ReconcileReport): Promise<void> {
  const owner = ctx.state.owner;
  const [addresses] = (await ctx.host.exec([addrCalls.list()])) as [Address[]];
  const plan = ctx.host.plan();
  // An overlay's devices are its cluster agent's to restore; macvlan/ipvlan have no bridge.
  for (const n of networks.filter((x) => driverOf(x) === 'bridge')) {
    const bridge = links.get(n.bridge);
    if (bridge && bridge.deviceGroup !== owner.id && bridge.deviceGroup !== 0) {
      report.conflicts.push(`bridge ${n.bridge} of network '${n.name}' is another owner's link now (device group ${bridge.deviceGroup})`);
      continue;
    }
    if (!bridge) {
      for (const c of bridgeCalls(n, owner)) plan.add(c);
      // Deleting a bridge releases its ports but leaves the veths: put the surviving ones back on it.
      for (const s of sandboxes)
        for (const e of s.endpoints) {
          if (e.networkId !== n.id || !links.has(e.hostIfname)) continue;
          plan.add(linkCalls.set(e.hostIfname, { master: n.bridge }));
          plan.add(linkCalls.setBridgePort(e.hostIfname, { hairpin: true, ...(n.icc ? {} : { isolated: true }) }));
        }
      report.restoredBridges.push(n.bridge);
      continue;
    }
    if (!bridge.up) {
      plan.add(linkCalls.set(n.bridge, { up: true }));
      report.restoredLinks.push(n.bridge);
    }
    const has = (a: string): boolean => addresses.some((x) => x.index === bridge.index && x.address === a);
    const missing = [n.ipv4.gateway, ...(n.ipv6 ? [n.ipv6.gateway] : [])].filter((a) => !has(a));
    for (const gw of missing) {
      const subnet = gw === n.ipv4.gateway ? n.ipv4.subnet : (n.ipv6?.subnet as string);
      plan.add(addrCalls.add({ dev: n.bridge, address: `${gw}${prefixOf(subnet)}`, ...(gw === n.ipv4.gateway ? {} : { flags: { nodad: true } }) }));
      report.restoredAddresses.push(`${n.bridge} ${gw}`);
    }
  }
  if (plan.calls.length > 0) await plan.run();
}

/** Links with this state's mark (its device group) that no record owns: bridges of no network, host veth ends of no endpoint. */
async function removeStrayLinks(
  ctx: ModelContext,
  networks: readonly NetworkRecord[],
  sandboxes: readonly SandboxRecord[],
  links: Map<string, Link>,
  report: ReconcileReport,
  pooled: readonly string[],
): Promise<void> {
  const bridges = new Set(networks.map((n) => n.bridge));
  const vxlans = new Set(networks.flatMap((n) => (n.overlay ? [n.overlay.device] : [])));
  const hostEnds = new Set([...sandboxes.flatMap((s) => s.endpoints.map((e) => e.hostIfname)), ...pooled]);
  const stray = [...links.values()].filter(
    (l) =>
      (l.deviceGroup === ctx.state.owner.id &&
        ((l.linkKind === 'bridge' && !bridges.has(l.name)) || (l.linkKind === 'veth' && OUR_HOST_VETH.test(l.name) && !hostEnds.has(l.name)))) ||
      // An overlay's VXLAN device whose network is gone (a crash while leaving it), known by its alias.
      (l.linkKind === 'vxlan' && isOurVxlanAlias(l.alias) !== undefined && !vxlans.has(l.name)),
  );
  if (stray.length === 0) return;
  // Bridges last: deleting one first would leave its veths without a master to check.
  stray.sort((a, b) => Number(a.linkKind === 'bridge') - Number(b.linkKind === 'bridge'));
  await ctx.host.exec(stray.map((l) => linkCalls.delete(l.name, { ifExists: true, ...(l.linkKind === 'vxlan' ? {} : { deviceGroup: ctx.state.owner.id }) })));
  report.removedLinks.push(...stray.map((l) => l.name));
}

export async function reconcile(ctx: ModelContext): Promise<ReconcileReport> {
  const report = emptyReport();
  await ctx.state.locked(async () => {
    const dir = ctx.state.quarantineDir(new Date().toISOString().replace(/[:.]/g, '-'));
    await removeLeftovers(ctx, report);

    // 1. Documents: damaged ones that cannot be rebuilt go to quarantine.
    ctx.state.damaged.clear();
    const networks = await ctx.state.networks();
    let sandboxes = await ctx.state.sandboxes({ pending: true });
    const damaged = [...ctx.state.damaged.values()];
    await quarantine(ctx, damaged.filter((d) => d.kind === NETWORKS || d.kind === SANDBOXES), dir, report);
    ctx.state.damaged.clear();
    const byId = new Map(networks.map((n) => [n.id, n]));

    // A quarantined sandbox record cannot say what it had; its namespace (named after its id) is this state's and goes.
    const lostNamespaces = damaged.filter((d) => d.kind === SANDBOXES && /^[0-9a-f]{64}$/.test(d.id)).map((d) => sandboxNetnsName(d.id));
    const present = new Set(await Netns.list(ctx.netnsDir));
    const gone = lostNamespaces.filter((n) => present.has(n));
    if (gone.length > 0) await ctx.host.exec(gone.map((n) => netnsCalls.remove(n, { dir: ctx.netnsDir, ifExists: true })));
    report.removedNamespaces.push(...gone);
    for (const n of lostNamespaces) rmSync(netnsEtcDir(n, ctx.etcDir), { recursive: true, force: true });

    // 2. Creations that never finished: everything they name goes.
    for (const s of sandboxes.filter((x) => x.pending !== undefined)) {
      await destroySandbox(ctx, s, { checked: true });
      report.rolledBack.push(s.name);
    }
    sandboxes = sandboxes.filter((s) => s.pending === undefined);

    // 3. Sandboxes whose namespace is gone, or is another namespace now (joined ones go with their owner's).
    const open = new Map<string, Netns>();
    try {
      const alive = new Map<string, boolean>();
      for (const s of sandboxes) {
        if (s.netns.kind === 'host') alive.set(s.id, true);
        else if (s.netns.kind !== 'joined') {
          const ns = await openRecorded(s);
          if (ns) open.set(s.id, ns);
          alive.set(s.id, ns !== undefined);
        }
      }
      for (const s of sandboxes) if (s.netns.kind === 'joined') alive.set(s.id, alive.get(s.joinedTo ?? '') ?? false);
      for (const s of sandboxes) {
        if (alive.get(s.id)) continue;
        await removeGone(ctx, s);
        ctx.events.sandbox('remove', s, networks);
        report.removedSandboxes.push(s.name);
      }
      sandboxes = sandboxes.filter((s) => alive.get(s.id));

      // 4. Endpoints on networks that are gone.
      for (const [i, s] of sandboxes.entries()) {
        for (const networkId of new Set(s.endpoints.filter((e) => !byId.has(e.networkId)).map((e) => e.networkId))) {
          const stub = { id: networkId } as NetworkRecord;
          const gone = s.endpoints.filter((e) => e.networkId === networkId);
          sandboxes[i] = await detachNetwork(ctx, sandboxes[i] as SandboxRecord, stub);
          report.detachedEndpoints.push(...gone.map((e) => `${s.name}/${e.ifname}`));
        }
      }

      // 5. Bridges, then endpoints, then links of ours that nothing owns.
      let links = await hostLinks(ctx);
      await repairBridges(ctx, networks, sandboxes, links, report);
      if (report.restoredBridges.length > 0) links = await hostLinks(ctx);
      for (const s of sandboxes) {
        const ns = open.get(s.id);
        if (ns) await repairEndpoints(ctx, s, ns, links, byId, report);
      }
      // Warm pool entries of engines that are gone, or no longer whole, go; the others' pairs are owned like endpoints'.
      const pool = await checkPool(ctx, await hostLinks(ctx), networks, ownedNamespaces(sandboxes));
      report.removedNamespaces.push(...pool.removed);
      await removeStrayLinks(ctx, networks, sandboxes, await hostLinks(ctx), report, pool.kept.map((p) => p.hostIfname));
    } finally {
      for (const ns of open.values()) ns.close();
    }

    // 6. The firewall; ports another owner holds now are no longer ours.
    const fw = await repairFirewall(ctx, networks, sandboxes);
    report.firewallChanges = fw.changes;
    if (fw.taken.length > 0) {
      for (const [i, s] of sandboxes.entries()) {
        const lost = (p: { protocol: string; hostPort: number; hostIp?: string }, endpoint: string): boolean =>
          fw.taken.some((t) => t.endpoint === endpoint && t.protocol === p.protocol && t.hostPort === p.hostPort && (t.hostIp ?? '') === (p.hostIp ?? ''));
        if (!s.endpoints.some((e) => e.ports.some((p) => lost(p, e.id)))) continue;
        for (const e of s.endpoints) for (const p of e.ports.filter((x) => lost(x, e.id))) report.lostPorts.push(`${s.name} ${p.hostIp ?? '0.0.0.0'}:${p.hostPort}/${p.protocol}`);
        const next: SandboxRecord = { ...s, endpoints: s.endpoints.map((e) => ({ ...e, ports: e.ports.filter((p) => !lost(p, e.id)) })) };
        await ctx.state.writeSandbox(next);
        sandboxes[i] = next;
      }
    }

    // 7. State files from the records.
    await repairIpam(ctx, byId, sandboxes, dir, report);
    await repairNameIndex(ctx, sandboxes, dir, report);
    await repairPortIndex(ctx, sandboxes, dir, report);
    await repairJoiners(ctx, sandboxes, report);
    for (const s of sandboxes) {
      if (!sandboxEtcMissing(ctx, s)) continue;
      await writeSandboxEtc(ctx, s, sandboxFiles(ctx, s, byId, linksAmong(s, sandboxes)));
      report.restoredFiles.push(`${s.name}: hosts, resolv.conf`);
    }
    for (const s of sandboxes) ctx.dns?.updateSandbox(s);
  });
  ctx.events.emit({ type: 'firewall', action: 'rebuild' });
  return report;
}
