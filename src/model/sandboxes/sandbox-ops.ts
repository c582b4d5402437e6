// The steps sandboxes are made of, run while the caller holds the state lock:
// planning an endpoint (addresses, MAC, host ports), committing what a plan
// did to the state, and taking endpoints and sandboxes down again.
import { BRIDGE_PORT_DISABLED, linkCalls } from '../../rtnl/link.js';
import { macFromIPv4 } from '../../addressing/mac.js';
import type { PortBinding, PortProtocol } from '../../addressing/port-spec.js';
import { netnsCalls } from '../../netns.js';

import type { Plan } from '../../addon/plan.js';
import type { ModelContext } from '../context.js';
import { removeEndpointCalls, unpublishCall } from './endpoint-calls.js';
import { allocateAddresses } from './ipam-ops.js';
import type { Allocation, Cursor } from '../state/ipam-store.js';
import { hostVethName, newId } from '../state/names.js';
import { resolvePorts, type BusyPort, type TakenPort } from './ports.js';
import { hostPortsInUse } from './host-ports.js';
import type { EndpointRecord, EndpointRoute, IpamRecord, NetworkRecord, SandboxRecord } from '../state/records.js';
import { linksAmong, removeSandboxEtc, sandboxFiles, writeSandboxEtc } from './etc-files.js';
import { isStacked } from '../networks/drivers/index.js';
import { StateError, ValidationError } from '../../core/errors.js';
import type { NativeNetns } from '../../addon/native.js';
import type { PlanRef } from '../../addon/plan.js';
import { Nftables } from '../../nft/nftables.js';
import { expandPorts, readFirewall, type PortMapping } from '../firewall/index.js';
import { portMappings } from '../firewall/view.js';

export interface EndpointRequest {
  /** The interface's name in the sandbox (default: the next free ethN). */
  ifname?: string;
  /** Routes through this endpoint besides the default one. */
  routes?: EndpointRoute[];
  ipv4?: string;
  ipv6?: string;
  aliases?: string[];
  mac?: string;
  ports?: PortBinding[];
  /** The endpoint's id when it is fixed already (a pooled veth pair is named after it). */
  id?: string;
  /** hostPortsInUse for `ports`, asked already (a create asks before it waits for the state lock). */
  busy?: Promise<BusyPort[]>;
}

/**
 * What attaching endpoints will change in the state, computed before the
 * kernel is touched and written only after the kernel did its part.
 */
export class PendingState {
  private readonly ipam = new Map<string, IpamRecord>();
  /** Each network's cursor as it was before, to put back when the attach is undone. */
  private readonly cursors = new Map<string, Cursor>();
  private readonly claims: { networkId: string; allocation: Allocation }[] = [];
  /** The ports this change publishes. */
  private readonly ports: TakenPort[] = [];
  /** Every published port as the records say, once a port document turned out damaged. */
  private fromRecords: TakenPort[] | undefined;
  constructor(private readonly ctx: ModelContext) {}

  async ipamOf(networkId: string): Promise<IpamRecord> {
    let r = this.ipam.get(networkId);
    if (!r) {
      const stored = await this.ctx.state.ipam.storedCursor(networkId);
      this.cursors.set(networkId, stored);
      r = this.ctx.state.ipam.recordAt(stored);
      this.ipam.set(networkId, r);
    }
    return r;
  }

  /**
   * Puts the allocation cursors back as they were before this attach (its
   * addresses and ports are freed by forgetEndpoints): an undone attach
   * leaves every state file as it found it. A cursor another create moved on
   * since (while this one's kernel plan ran: see Sandboxes.createLocked)
   * stays where it is.
   */
  async restoreCursors(): Promise<void> {
    for (const [id, cursor] of this.cursors) {
      // Only the cursor this attach wrote goes back (one it never wrote is as it found it).
      const mine = lastOf(this.ipam.get(id) as IpamRecord);
      const now = await this.ctx.state.ipam.storedCursor(id);
      if (now?.ipv4 === mine.ipv4 && now?.ipv6 === mine.ipv6) await this.ctx.state.ipam.restoreCursor(id, cursor);
    }
  }

  claim(networkId: string, address: string, owner: string): void {
    this.claims.push({ networkId, allocation: { address, owner } });
  }

  /** Who publishes one host port: its document (or the records, past a damaged one), and this change's own ports. */
  portHolders(protocol: PortProtocol, hostPort: number): TakenPort[] {
    const mine = this.ports.filter((p) => p.protocol === protocol && p.hostPort === hostPort);
    const stored = this.fromRecords
      ? this.fromRecords.filter((p) => p.protocol === protocol && p.hostPort === hostPort)
      : this.ctx.state.portHolders(protocol, hostPort);
    return [...stored, ...mine];
  }

  /** Asks the records instead of the port documents from now on (one of those is damaged). */
  async useRecords(): Promise<void> {
    this.fromRecords ??= await this.ctx.state.portsOfRecords();
  }

  publish(ports: readonly TakenPort[]): void {
    this.ports.push(...ports);
  }

  async commit(): Promise<void> {
    for (const [id, r] of this.ipam) {
      const mine = this.claims.filter((c) => c.networkId === id).map((c) => c.allocation);
      await this.ctx.state.ipam.claim(id, mine, lastOf(r));
    }
    if (this.ports.length > 0) await this.ctx.state.publishPorts(this.ports);
  }
}

/** Where a network's allocation stopped, as its cursor document holds it. */
function lastOf(r: IpamRecord): { ipv4?: string; ipv6?: string } {
  return { ...(r.ipv4.last ? { ipv4: r.ipv4.last } : {}), ...(r.ipv6?.last ? { ipv6: r.ipv6.last } : {}) };
}

/** Next free ethN in a sandbox. */
export function nextIfname(s: Pick<SandboxRecord, 'endpoints'>): string {
  const used = new Set(s.endpoints.map((e) => e.ifname));
  let i = 0;
  while (used.has(`eth${i}`)) i++;
  return `eth${i}`;
}

export async function planEndpoint(
  ctx: ModelContext,
  pending: PendingState,
  s: Pick<SandboxRecord, 'id' | 'name' | 'endpoints'>,
  n: NetworkRecord,
  req: EndpointRequest,
  gatewayRoute: boolean,
): Promise<EndpointRecord> {
  const id = req.id ?? newId();
  const ipam = await pending.ipamOf(n.id);
  const addrs = allocateAddresses(n, ipam, id, { ipv4: req.ipv4, ipv6: req.ipv6 }, (a) => ctx.state.ipam.isAllocated(n.id, a));
  pending.claim(n.id, addrs.ipv4, id);
  if (addrs.ipv6) pending.claim(n.id, addrs.ipv6, id);
  const e: EndpointRecord = {
    id,
    networkId: n.id,
    ifname: req.ifname ?? nextIfname(s),
    hostIfname: isStacked(n) ? '' : hostVethName(id),
    mac: req.mac ?? macFromIPv4(addrs.ipv4),
    ipv4: addrs.ipv4,
    gatewayRoute: gatewayRoute && !n.internal,
    aliases: [...(req.aliases ?? [])],
    ports: [],
  };
  if (addrs.ipv6) e.ipv6 = addrs.ipv6;
  if (req.routes?.length) e.routes = req.routes.map((r) => ({ ...r }));
  if (req.ports && req.ports.length > 0) {
    if (isStacked(n))
      throw new ValidationError('publish', `sandboxes on ${n.driver} network '${n.name}' are reached at their own addresses: ports are not published (no NAT)`);
    // Ports processes on the host listen on: never published over (random ones avoid them).
    const busy = await (req.busy ?? hostPortsInUse(ctx, req.ports, n.hostBinding));
    const bindings = req.ports;
    const resolve = (): EndpointRecord['ports'] =>
      resolvePorts(bindings, (protocol, port) => pending.portHolders(protocol, port), {
        busy,
        ...(n.hostBinding ? { hostBinding: n.hostBinding } : {}),
        ...(ctx.ephemeralPorts ? { ephemeral: ctx.ephemeralPorts } : {}),
      });
    try {
      e.ports = resolve();
    } catch (err) {
      if (!(err instanceof StateError)) throw err;
      await pending.useRecords();
      e.ports = resolve();
    }
    pending.publish(e.ports.map((p) => ({ ...p, sandbox: s.name, endpoint: id })));
  }
  return e;
}

/** What forgetting a sandbox freed in the state, so that it can be put back when its kernel side stays after all. */
interface Freed {
  addresses: { networkId: string; allocations: Allocation[] }[];
  ports: TakenPort[];
  names: { name: boolean; key: boolean };
}

/**
 * Forgets an endpoint's addresses and ports in the state (the kernel side is
 * gone, or going); what was freed is added to `freed` as it goes.
 */
export async function forgetEndpoints(ctx: ModelContext, endpoints: readonly EndpointRecord[], freed?: Freed): Promise<void> {
  for (const e of endpoints) {
    const owned = [e.ipv4, ...(e.ipv6 ? [e.ipv6] : [])].map((address) => ({ address, owner: e.id }));
    const released = await ctx.state.ipam.release(e.networkId, owned);
    freed?.addresses.push({ networkId: e.networkId, allocations: owned.filter((a) => released.includes(a.address)) });
  }
  // Only the documents of the endpoints' own ports; one that never held them (an attach undone before its state was written) is untouched.
  const ports = endpoints.flatMap((e) => e.ports.map((p) => ({ protocol: p.protocol, hostPort: p.hostPort, endpoint: e.id })));
  if (ports.length > 0) freed?.ports.push(...(await ctx.state.unpublishPorts(ports)));
}

/** Puts back what forgetSandbox freed before its kernel part failed (the sandbox stays): state entries, then its files. */
async function putBack(ctx: ModelContext, s: SandboxRecord, freed: Freed): Promise<void> {
  for (const a of freed.addresses) if (a.allocations.length > 0) await ctx.state.ipam.claim(a.networkId, a.allocations, {});
  if (freed.ports.length > 0) await ctx.state.publishPorts(freed.ports);
  await ctx.state.reindex(s, freed.names);
  // A record whose creation never finished gets none: its rollback would remove them again.
  if (s.pending === undefined) await writeSandboxEtc(ctx, s, sandboxFiles(ctx, s, await networksOf(ctx, s), linksAmong(s, await ctx.state.sandboxes())), 'netns');
}

/** Takes one network's endpoint out of a sandbox whose namespace stays. */
export async function detachNetwork(ctx: ModelContext, s: SandboxRecord, n: NetworkRecord): Promise<SandboxRecord> {
  const gone = s.endpoints.filter((e) => e.networkId === n.id);
  if (gone.length === 0) return s;
  const plan = ctx.host.plan();
  const ns = sandboxRefFor(plan, s, gone);
  for (const e of gone) removeEndpointCalls(plan, e, ns);
  const results = await plan.run();
  if (ns) closeOpened(results[0]);
  const next: SandboxRecord = { ...s, endpoints: s.endpoints.filter((e) => e.networkId !== n.id) };
  await ctx.state.writeSandbox(next);
  await forgetEndpoints(ctx, gone);
  ctx.dns?.updateSandbox(next);
  for (const e of gone) ctx.events.endpoint('remove', s, e, n);
  return next;
}

export interface TeardownOptions {
  /**
   * An adopted namespace's veth pairs are taken down at once and deleted
   * later by the engine's LinkReaper (see link-reaper.ts), so the caller does
   * not wait for the kernel's ~20 ms veth deletion.
   */
  background?: boolean;
}

/**
 * Removes a sandbox's kernel side in one trip: its published ports, and its
 * namespace when it is ours (its veth pairs go with it, in the kernel's
 * background work); an adopted namespace only loses our interfaces. Host ends
 * whose namespace lives on (an adopted one removed in the background, or ours
 * when some process still holds it, so that the kernel keeps it and its
 * veths) are taken down at once, so that nothing of the sandbox forwards on
 * the host, and deleted later by the LinkReaper: deleting a veth costs the
 * kernel ~25 ms, and a namespace used a moment ago reads as held until the
 * kernel releases the sockets that used it. Safe to repeat; a vanished
 * namespace or element is fine.
 */
export async function teardownKernel(ctx: ModelContext, s: SandboxRecord, opts: TeardownOptions & { checked?: boolean } = {}): Promise<void> {
  const only = opts.checked ? await ownedMappings(ctx, s.endpoints) : undefined;
  const plan = ctx.host.plan();
  const linger = opts.background === true && s.netns.kind === 'adopted';
  const hostEnds = s.endpoints.map((e) => e.hostIfname).filter((h) => h !== '');
  let held: PlanRef<string[]> | undefined;
  if ((s.netns.kind === 'owned' && s.netns.name !== undefined) || linger) {
    const unpublish = unpublishCall(s.endpoints, only);
    if (unpublish) plan.add(unpublish);
    // A disabled bridge port forwards nothing, at a quarter of what taking the link down costs (an RCU grace
    // period); the reaper takes it down right after, off the caller's path (see link-reaper.ts).
    if (linger) for (const h of hostEnds) plan.add(linkCalls.setBridgePort(h, { state: BRIDGE_PORT_DISABLED }, { readBack: false }));
    else {
      plan.add(netnsCalls.remove(s.netns.name as string, { dir: ctx.netnsDir, ifExists: true }));
      if (hostEnds.length > 0) held = plan.add<string[]>(netnsCalls.heldPeers(hostEnds, 'down'));
    }
  } else {
    const ns = s.netns.kind === 'host' ? undefined : sandboxRefFor(plan, s, s.endpoints);
    for (const e of s.endpoints) removeEndpointCalls(plan, e, ns, only);
  }
  const results = plan.calls.length > 0 ? await runTolerant(ctx, plan) : [];
  const lingering = linger ? hostEnds : held ? ((results[held.$result] as string[] | undefined) ?? []) : [];
  if (lingering.length > 0) ctx.reaper.schedule(s.netns.path, lingering, { down: linger });
}

/** The sandbox's namespace opened as the plan's first call, when an endpoint without a host end must be deleted inside it. */
function sandboxRefFor(plan: Plan, s: SandboxRecord, endpoints: readonly EndpointRecord[]): PlanRef | undefined {
  if (!endpoints.some((e) => e.hostIfname === '') || plan.calls.length > 0) return undefined;
  return plan.add<NativeNetns>(netnsCalls.open({ path: s.netns.path }));
}

function closeOpened(handle: unknown): void {
  (handle as NativeNetns | undefined)?.close();
}

/**
 * The endpoints' port mappings whose elements are there and carry this
 * state's mark for that endpoint: what a teardown of a record that may never
 * have been made whole (or whose ports were lost and taken by another owner)
 * may delete. Reads the ruleset, so only for such records, never on the hot path.
 */
async function ownedMappings(ctx: ModelContext, endpoints: readonly EndpointRecord[]): Promise<PortMapping[]> {
  const wanted = endpoints.flatMap((e) => portMappings(e, ctx.state.owner));
  if (wanted.length === 0) return [];
  const present = readFirewall(await new Nftables(ctx.host).list({ family: 'inet' })).ports;
  const same = (a: PortMapping, b: PortMapping): boolean =>
    a.protocol === b.protocol && a.hostPort === b.hostPort && (a.hostIp ?? '') === (b.hostIp ?? '') && a.containerIp === b.containerIp && a.endpoint === b.endpoint && a.owner === b.owner;
  return expandPorts(wanted).filter((w) => present.some((p) => same(p, w)));
}

const GONE = new Set(['ENOENT', 'ENODEV']);
/** Why a bridge port could not be disabled when its link forwards nothing anyway: it is down, or off its bridge. */
const FORWARDS_NOTHING = new Set(['ENETDOWN', 'EOPNOTSUPP']);

const tolerable = (c: { op: string }, e: unknown): boolean => {
  const code = (e as { code?: string }).code ?? '';
  return GONE.has(code) || (c.op === 'link.setBridgePort' && FORWARDS_NOTHING.has(code));
};

/**
 * Runs a teardown plan and returns its results; when a step fails because
 * its object is already gone (a crash, someone's `ip link del` or `nft
 * flush`), or a bridge port to disable forwards nothing already, runs the
 * steps one by one and skips those (their result stays undefined).
 */
async function runTolerant(ctx: ModelContext, plan: Plan): Promise<unknown[]> {
  try {
    return await plan.run();
  } catch (e) {
    if (!plan.calls.some((c) => tolerable(c, e))) throw e;
    const results: unknown[] = [];
    for (const c of plan.calls) {
      try {
        results.push(...(await ctx.host.exec([c])));
      } catch (err) {
        if (!tolerable(c, err)) throw err;
        results.push(undefined);
      }
    }
    return results;
  }
}

/** The networks a sandbox is on, read one by one (never every network). */
export async function networksOf(ctx: ModelContext, s: Pick<SandboxRecord, 'endpoints'>): Promise<Map<string, NetworkRecord>> {
  const out = new Map<string, NetworkRecord>();
  for (const e of s.endpoints) {
    if (out.has(e.networkId)) continue;
    // A damaged network document is left out, as listings leave it out.
    const n = await ctx.state.network(e.networkId).catch((err: unknown) => {
      if (err instanceof StateError) return undefined;
      throw err;
    });
    if (n) out.set(e.networkId, n);
  }
  return out;
}

/**
 * Everything of a sandbox, kernel and state; the caller holds the lock. With
 * `checked`, only port elements that are there with this state's mark go (a
 * record whose creation never finished).
 */
export async function destroySandbox(ctx: ModelContext, s: SandboxRecord, opts: TeardownOptions & { checked?: boolean; indexed?: boolean } = {}): Promise<void> {
  await forgetSandbox(ctx, s, teardownKernel(ctx, s, opts), opts.indexed === true);
}

/**
 * The state side of destroySandbox: addresses, ports, name, files and
 * record (`indexed`: the caller read under the lock that the name's index
 * entry points at this sandbox). Given the `kernel` teardown under way, the
 * addresses, ports, name and /etc/netns files are freed while it runs
 * (nobody sees them before the lock is released), and the record goes only
 * once it has succeeded: the record names what the kernel is taking apart
 * until then, so a crash in between leaves a whole record that reconcile
 * rebuilds the rest from or removes with its namespace. A kernel teardown
 * that fails puts back what was freed. Each step is tried even when one before it failed (the record
 * goes last, so that what is left stays named by it); the first failure is
 * thrown after.
 */
export async function forgetSandbox(ctx: ModelContext, s: SandboxRecord, kernel?: Promise<void>, indexed = false): Promise<void> {
  // Awaited below; this keeps a failure while the state is written from counting as unhandled.
  kernel?.catch(() => undefined);
  let failure: unknown;
  const step = async (fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      failure ??= e;
    }
  };
  const freed: Freed = { addresses: [], ports: [], names: { name: false, key: false } };
  await step(() => forgetEndpoints(ctx, s.endpoints, freed));
  if (failure === undefined)
    await step(async () => {
      freed.names = await ctx.state.unindex(s, indexed);
    });
  await step(() => removeSandboxEtc(ctx, s));
  try {
    await kernel;
  } catch (e) {
    await putBack(ctx, s, freed).catch(() => undefined);
    throw e;
  }
  if (failure === undefined) await step(() => ctx.state.removeRecord(s.id));
  ctx.dns?.removeSandbox(s.id);
  if (failure !== undefined) throw failure;
  // The sandbox's own networks name its endpoints in the events, not a listing of every network. Read and
  // told once the caller has its answer (a CNI DEL waited 0.24 ms for them): events of a later change come
  // after its kernel's work, which a loop turn later is never done yet.
  if (ctx.events.listening)
    setImmediate(() => {
      networksOf(ctx, s).then(
        (ns) => ctx.events.sandbox('remove', s, [...ns.values()]),
        () => ctx.events.sandbox('remove', s, []),
      );
    });
}

