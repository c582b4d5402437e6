// This host's side of an overlay network in the local state and the kernel:
// made when the host joins the network (its bridge on the host's subnet, the
// VXLAN device and the firewall chains, one plan, then the record), put back
// where a part is missing after a restart, and taken down (sandboxes
// detached first) when the network leaves the cluster.
import { ConflictError } from '../../../../core/errors.js';
import { linkCalls, type Link } from '../../../../rtnl/link.js';
import type { Call } from '../../../../addon/native.js';
import { overlapping } from '../../../../cluster/subnets.js';
import type { OverlaySpec } from '../../../../cluster/records.js';
import type { ModelContext } from '../../../context.js';
import type { NetworkRecord } from '../../../state/records.js';
import { detachNetwork } from '../../../sandboxes/sandbox-ops.js';
import { bridgeCalls } from '../../network-calls.js';
import { makeNetwork, unmakeNetwork } from '../../kernel-side.js';
import { driverOf, hasBridge } from '../index.js';
import { overlayNetworkRecord, vxlanDeviceCalls, type HostSide } from './device.js';

/** Refuses an overlay whose name or cluster CIDR a network of this host's own already has. */
export function checkLocalConflicts(spec: Pick<OverlaySpec, 'id' | 'name' | 'subnet'>, locals: readonly NetworkRecord[]): void {
  const named = locals.find((n) => n.name === spec.name && n.id !== spec.id);
  if (named) throw new ConflictError('name-in-use', `network with name '${spec.name}' already exists on this host (a ${driverOf(named)} network)`);
  const others = locals.filter((n) => n.id !== spec.id && driverOf(n) !== 'overlay').map((n): [string, string] => [n.name, n.ipv4.subnet]);
  const clash = overlapping(spec.subnet, others);
  if (clash) throw new ConflictError('subnet-in-use', `overlay subnet ${spec.subnet} overlaps network '${clash[0]}' (${clash[1]}) on this host`);
}

/** The lowest nexthop slot (1-255) no other overlay of this host uses. */
function freeSlot(locals: readonly NetworkRecord[]): number {
  const used = new Set(locals.flatMap((n) => (n.overlay ? [n.overlay.nexthopSlot] : [])));
  for (let slot = 1; slot < 256; slot++) if (!used.has(slot)) return slot;
  throw new ConflictError('in-use', 'this host is on 255 overlay networks already');
}

/**
 * Makes this host's side of `spec` on the subnet `claim` leases in the store
 * (and `release` gives back when the kernel refuses). The caller holds no lock.
 */
export async function makeLocal(
  ctx: ModelContext,
  spec: OverlaySpec,
  host: Omit<HostSide, 'hostSubnet' | 'nexthopSlot'>,
  claim: () => Promise<string>,
  release: (subnet: string) => Promise<void>,
): Promise<NetworkRecord> {
  const n = await ctx.state.locked(async () => {
    const locals = await ctx.state.networks();
    const found = locals.find((x) => x.id === spec.id);
    if (found) return found;
    checkLocalConflicts(spec, locals);
    const hostSubnet = await claim();
    const record = overlayNetworkRecord(spec, { ...host, hostSubnet, nexthopSlot: freeSlot(locals) });
    const first = !locals.some(hasBridge);
    try {
      await makeNetwork(ctx, record);
    } catch (e) {
      await release(hostSubnet).catch(() => undefined);
      throw e;
    }
    try {
      await ctx.state.writeNetwork(record);
    } catch (e) {
      await unmakeNetwork(ctx, record, first).catch(() => undefined);
      await release(hostSubnet).catch(() => undefined);
      throw e;
    }
    return record;
  });
  await ctx.dns?.addNetwork(n);
  return n;
}

/**
 * Puts back what is missing of an existing local side (its bridge, its VXLAN
 * device, after someone deleted them or the machine restarted) and moves the
 * VXLAN device to a new underlay address. Resolves to the record as it is now
 * and whether the VXLAN device was made anew (its peers then went with it).
 */
export async function ensureLocal(ctx: ModelContext, n: NetworkRecord, underlay: string): Promise<{ record: NetworkRecord; fresh: boolean }> {
  if (!n.overlay) return { record: n, fresh: false };
  const record: NetworkRecord = n.overlay.underlay === underlay ? n : { ...n, overlay: { ...n.overlay, underlay } };
  const [links] = (await ctx.host.exec([linkCalls.list()])) as [Link[]];
  const byName = new Map(links.map((l) => [l.name, l]));
  const calls: Call[] = [];
  if (!byName.has(record.bridge)) {
    const bare: NetworkRecord = { ...record };
    delete bare.overlay;
    calls.push(...bridgeCalls(bare, ctx.state.owner));
  }
  const vx = byName.get(record.overlay!.device);
  const stale = vx && (vx.vxlan?.local !== underlay || vx.vxlan?.vni !== record.overlay!.vni || vx.vxlan?.port !== record.overlay!.port);
  if (stale) calls.push(linkCalls.delete(record.overlay!.device));
  if (!vx || stale) calls.push(...vxlanDeviceCalls(record));
  if (calls.length > 0) await ctx.host.exec(calls);
  if (record !== n) await ctx.state.locked(() => ctx.state.writeNetwork(record));
  return { record, fresh: !vx || Boolean(stale) };
}

/** Takes this host's side of an overlay down: its sandboxes are disconnected, its devices and chains deleted, its record and addresses forgotten. */
export async function removeLocal(ctx: ModelContext, networkId: string): Promise<NetworkRecord | undefined> {
  const gone = await ctx.state.locked(async () => {
    const n = await ctx.state.network(networkId);
    if (!n) return undefined;
    for (const s of await ctx.state.sandboxes()) if (s.endpoints.some((e) => e.networkId === n.id)) await detachNetwork(ctx, s, n);
    const last = (await ctx.state.networks()).filter(hasBridge).length === 1;
    await unmakeNetwork(ctx, n, last);
    await ctx.state.removeNetwork(n.id);
    await ctx.state.ipam.drop(n.id);
    return n;
  });
  if (gone) ctx.dns?.removeNetwork(gone.id);
  return gone;
}
