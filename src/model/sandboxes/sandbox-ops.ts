// The steps sandboxes are made of, run while the caller holds the state lock:
// planning an endpoint (addresses, MAC, host ports), committing what a plan
// did to the state (or taking it back), and taking endpoints and sandboxes
// down again.
import { linkCalls } from '../../rtnl/link.js';
import { macFromIPv4 } from '../../addressing/mac.js';
import type { PortBinding, PortProtocol } from '../../addressing/port-spec.js';
import { netnsCalls } from '../../netns.js';

import type { Plan } from '../../addon/plan.js';
import type { ModelContext } from '../context.js';
import { removeEndpointCalls, unpublishCall } from './endpoint-calls.js';
import { allocateAddresses } from './ipam-ops.js';
import type { Allocation } from '../state/ipam-store.js';
import { hostVethName, newId } from '../state/names.js';
import { resolvePorts } from './ports.js';
import { portDocument, type TakenPort } from '../state/port-store.js';
import type { EndpointRecord, IpamRecord, NetworkRecord, SandboxRecord } from '../state/records.js';
import { readSandboxEtc, removeSandboxEtc, restoreSandboxEtc } from './etc-files.js';

export interface EndpointRequest {
  ipv4?: string;
  ipv6?: string;
  aliases?: string[];
  mac?: string;
  ports?: PortBinding[];
  /** The endpoint's id when it is fixed already (a pooled veth pair is named after it). */
  id?: string;
}

type Cursor = { ipv4?: string; ipv6?: string };

/**
 * What attaching endpoints will change in the state: computed before the
 * kernel is touched, written (commit) while or after the kernel does its
 * part, and taken back (rollback) when the kernel part fails.
 */
export class PendingState {
  private readonly ipam = new Map<string, { record: IpamRecord; before: Cursor }>();
  private readonly claims: { networkId: string; allocation: Allocation }[] = [];
  private readonly ports: TakenPort[] = [];
  /** What the store said of each host port looked at, by port document. */
  private readonly seen = new Map<string, TakenPort[]>();
  constructor(private readonly ctx: ModelContext) {}

  async ipamOf(networkId: string): Promise<IpamRecord> {
    let r = this.ipam.get(networkId);
    if (!r) {
      const record = await this.ctx.state.ipam.cursor(networkId);
      r = { record, before: cursorOf(record) };
      this.ipam.set(networkId, r);
    }
    return r.record;
  }

  claim(networkId: string, address: string, owner: string): void {
    this.claims.push({ networkId, allocation: { address, owner } });
  }

  /** Who holds one host port: the store's documents, and this change's own ports. */
  portHolders(protocol: PortProtocol, hostPort: number): TakenPort[] {
    const doc = portDocument(protocol, hostPort);
    let stored = this.seen.get(doc);
    if (!stored) this.seen.set(doc, (stored = this.ctx.state.ports.holders(protocol, hostPort)));
    const mine = this.ports.filter((p) => p.protocol === protocol && p.hostPort === hostPort);
    return [...stored, ...mine];
  }

  publish(ports: TakenPort[]): void {
    this.ports.push(...ports);
  }

  async commit(): Promise<void> {
    for (const [id, r] of this.ipam) {
      const mine = this.claims.filter((c) => c.networkId === id).map((c) => c.allocation);
      await this.ctx.state.ipam.claim(id, mine, cursorOf(r.record));
    }
    if (this.ports.length > 0) await this.ctx.state.ports.add(this.ports, this.seen);
  }

  /** Takes back whatever commit() wrote (all of it, or the part it got to). */
  async rollback(): Promise<void> {
    for (const [id, r] of this.ipam) {
      await this.ctx.state.ipam.release(id, this.claims.filter((c) => c.networkId === id).map((c) => c.allocation));
      await this.ctx.state.ipam.restoreCursor(id, r.before);
    }
    if (this.ports.length > 0) await this.ctx.state.ports.remove(this.ports);
  }
}

function cursorOf(r: IpamRecord): Cursor {
  return { ...(r.ipv4.last ? { ipv4: r.ipv4.last } : {}), ...(r.ipv6?.last ? { ipv6: r.ipv6.last } : {}) };
}

/** Next free ethN in a sandbox. */
function nextIfname(s: Pick<SandboxRecord, 'endpoints'>): string {
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
    ifname: nextIfname(s),
    hostIfname: hostVethName(id),
    mac: req.mac ?? macFromIPv4(addrs.ipv4),
    ipv4: addrs.ipv4,
    gatewayRoute: gatewayRoute && !n.internal,
    aliases: [...(req.aliases ?? [])],
    ports: [],
  };
  if (addrs.ipv6) e.ipv6 = addrs.ipv6;
  if (req.ports && req.ports.length > 0) {
    e.ports = resolvePorts(req.ports, (protocol, port) => pending.portHolders(protocol, port), {
      ...(n.hostBinding ? { hostBinding: n.hostBinding } : {}),
      ...(ctx.ephemeralPorts ? { ephemeral: ctx.ephemeralPorts } : {}),
    });
    pending.publish(e.ports.map((p) => ({ ...p, sandbox: s.name, endpoint: id })));
  }
  return e;
}

const takenPorts = (s: Pick<SandboxRecord, 'name'>, endpoints: readonly EndpointRecord[]): TakenPort[] =>
  endpoints.flatMap((e) => e.ports.map((p) => ({ ...p, sandbox: s.name, endpoint: e.id })));

/** Forgets an endpoint's addresses and ports in the state (the kernel side is gone, or going). */
export async function forgetEndpoints(ctx: ModelContext, endpoints: readonly EndpointRecord[]): Promise<void> {
  for (const e of endpoints)
    await ctx.state.ipam.release(e.networkId, [e.ipv4, ...(e.ipv6 ? [e.ipv6] : [])].map((address) => ({ address, owner: e.id })));
  const ports = takenPorts({ name: '' }, endpoints);
  if (ports.length > 0) await ctx.state.ports.remove(ports);
}

/** The inverse of forgetEndpoints, for a teardown whose kernel part failed. */
async function rememberEndpoints(ctx: ModelContext, s: SandboxRecord): Promise<void> {
  for (const e of s.endpoints)
    await ctx.state.ipam.claim(e.networkId, [e.ipv4, ...(e.ipv6 ? [e.ipv6] : [])].map((address) => ({ address, owner: e.id })), {});
  const ports = takenPorts(s, s.endpoints);
  if (ports.length > 0) await ctx.state.ports.add(ports);
}

/** Takes one network's endpoint out of a sandbox whose namespace stays. */
export async function detachNetwork(ctx: ModelContext, s: SandboxRecord, n: NetworkRecord): Promise<SandboxRecord> {
  const gone = s.endpoints.filter((e) => e.networkId === n.id);
  if (gone.length === 0) return s;
  const plan = ctx.host.plan();
  for (const e of gone) removeEndpointCalls(plan, e);
  await plan.run();
  const next: SandboxRecord = { ...s, endpoints: s.endpoints.filter((e) => e.networkId !== n.id) };
  await ctx.state.writeSandbox(next);
  await forgetEndpoints(ctx, gone);
  ctx.dns?.updateSandbox(next);
  return next;
}

/**
 * The plan that removes a sandbox's kernel side in one trip: its published
 * ports, and its namespace when it is ours (its veth pairs go with it, in the
 * kernel's background work); an adopted namespace only loses our interfaces.
 * If some process still holds the namespace, its addresses, freed in the
 * state, must not stay live on the bridge: netns.release asks the kernel
 * whether the namespace outlived its name and only then takes the host ends
 * down (deleting them instead would cost ~27 ms of the kernel's time;
 * reconcile deletes such leftovers).
 */
export function teardownPlan(ctx: ModelContext, s: SandboxRecord): Plan {
  const plan = ctx.host.plan();
  if (s.netns.kind === 'owned' && s.netns.name !== undefined) {
    const unpublish = unpublishCall(s.endpoints);
    if (unpublish) plan.add(unpublish);
    plan.add(netnsCalls.release(s.netns.name, { dir: ctx.netnsDir, ifExists: true, downIfHeld: s.endpoints.map((e) => e.hostIfname) }));
  } else {
    for (const e of s.endpoints) removeEndpointCalls(plan, e);
  }
  return plan;
}

/** Removes a sandbox's kernel side. Safe to repeat; a vanished namespace or element is fine. */
export async function teardownKernel(ctx: ModelContext, s: SandboxRecord): Promise<void> {
  const plan = teardownPlan(ctx, s);
  if (plan.calls.length > 0) await runTolerant(ctx, plan);
}

const GONE = new Set(['ENOENT', 'ENODEV']);

/**
 * Runs a teardown plan; when a step fails because its object is already gone
 * (a crash, someone's `ip link del` or `nft flush`), runs the steps one by one
 * and skips those that find nothing to remove.
 */
async function runTolerant(ctx: ModelContext, plan: Plan): Promise<void> {
  try {
    await plan.run();
  } catch (e) {
    if (!GONE.has((e as { code?: string }).code ?? '')) throw e;
    for (const c of plan.calls) {
      try {
        await ctx.host.exec([c]);
      } catch (err) {
        if (!GONE.has((err as { code?: string }).code ?? '')) throw err;
      }
    }
  }
}

/**
 * Everything of a sandbox, kernel and state; the caller holds the lock. The
 * records are dropped while the kernel works (the kernel's part is the longer
 * one), and put back if the kernel refuses: a sandbox that could not be taken
 * down stays on record, so that the remove can be repeated.
 */
export async function destroySandbox(ctx: ModelContext, s: SandboxRecord): Promise<void> {
  const plan = teardownPlan(ctx, s);
  const kernel = plan.calls.length > 0 ? runTolerant(ctx, plan) : Promise.resolve();
  kernel.catch(() => undefined);
  let forgotten = false;
  let files: ReturnType<typeof readSandboxEtc> = {};
  try {
    await ctx.state.removeSandbox(s);
    await forgetEndpoints(ctx, s.endpoints);
    forgotten = true;
    files = readSandboxEtc(ctx, s);
    await removeSandboxEtc(ctx, s);
  } finally {
    try {
      await kernel;
    } catch (e) {
      await ctx.state.writeSandbox(s);
      if (forgotten) await rememberEndpoints(ctx, s);
      await restoreSandboxEtc(ctx, s, files);
      throw e;
    }
  }
  ctx.dns?.removeSandbox(s.id);
}
