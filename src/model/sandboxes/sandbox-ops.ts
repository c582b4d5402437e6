// The steps sandboxes are made of, run while the caller holds the state lock:
// planning an endpoint (addresses, MAC, host ports), committing what a plan
// did to the state, and taking endpoints and sandboxes down again.
import { linkCalls } from '../../rtnl/link.js';
import { macFromIPv4 } from '../../addressing/mac.js';
import type { PortBinding } from '../../addressing/port-spec.js';
import { netnsCalls } from '../../netns.js';

import type { Plan } from '../../addon/plan.js';
import type { ModelContext } from '../context.js';
import { removeEndpointCalls, unpublishCall } from './endpoint-calls.js';
import { allocateAddresses } from './ipam-ops.js';
import type { Allocation } from '../state/ipam-store.js';
import { hostVethName, newId } from '../state/names.js';
import { resolvePorts, type TakenPort } from './ports.js';
import type { EndpointRecord, IpamRecord, NetworkRecord, SandboxRecord } from '../state/records.js';
import { removeSandboxEtc } from './etc-files.js';
import { isStacked } from '../networks/drivers/index.js';
import { ValidationError } from '../../core/errors.js';
import type { NativeNetns } from '../../addon/native.js';
import type { PlanRef } from '../../addon/plan.js';

export interface EndpointRequest {
  ipv4?: string;
  ipv6?: string;
  aliases?: string[];
  mac?: string;
  ports?: PortBinding[];
}

/**
 * What attaching endpoints will change in the state, computed before the
 * kernel is touched and written only after the kernel did its part.
 */
export class PendingState {
  private readonly ipam = new Map<string, IpamRecord>();
  private readonly claims: { networkId: string; allocation: Allocation }[] = [];
  ports: TakenPort[] | undefined;
  constructor(private readonly ctx: ModelContext) {}

  async ipamOf(networkId: string): Promise<IpamRecord> {
    let r = this.ipam.get(networkId);
    if (!r) {
      r = await this.ctx.state.ipam.cursor(networkId);
      this.ipam.set(networkId, r);
    }
    return r;
  }

  claim(networkId: string, address: string, owner: string): void {
    this.claims.push({ networkId, allocation: { address, owner } });
  }

  async takenPorts(): Promise<TakenPort[]> {
    this.ports ??= await this.ctx.state.ports();
    return this.ports;
  }

  async commit(): Promise<void> {
    for (const [id, r] of this.ipam) {
      const mine = this.claims.filter((c) => c.networkId === id).map((c) => c.allocation);
      await this.ctx.state.ipam.claim(id, mine, { ...(r.ipv4.last ? { ipv4: r.ipv4.last } : {}), ...(r.ipv6?.last ? { ipv6: r.ipv6.last } : {}) });
    }
    if (this.ports) await this.ctx.state.writePorts(this.ports);
  }
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
  const id = newId();
  const ipam = await pending.ipamOf(n.id);
  const addrs = allocateAddresses(n, ipam, id, { ipv4: req.ipv4, ipv6: req.ipv6 }, (a) => ctx.state.ipam.isAllocated(n.id, a));
  pending.claim(n.id, addrs.ipv4, id);
  if (addrs.ipv6) pending.claim(n.id, addrs.ipv6, id);
  const e: EndpointRecord = {
    id,
    networkId: n.id,
    ifname: nextIfname(s),
    hostIfname: isStacked(n) ? '' : hostVethName(id),
    mac: req.mac ?? macFromIPv4(addrs.ipv4),
    ipv4: addrs.ipv4,
    gatewayRoute: gatewayRoute && !n.internal,
    aliases: [...(req.aliases ?? [])],
    ports: [],
  };
  if (addrs.ipv6) e.ipv6 = addrs.ipv6;
  if (req.ports && req.ports.length > 0) {
    if (isStacked(n))
      throw new ValidationError('publish', `sandboxes on ${n.driver} network '${n.name}' are reached at their own addresses: ports are not published (no NAT)`);
    const taken = await pending.takenPorts();
    e.ports = resolvePorts(req.ports, taken, {
      ...(n.hostBinding ? { hostBinding: n.hostBinding } : {}),
      ...(ctx.ephemeralPorts ? { ephemeral: ctx.ephemeralPorts } : {}),
    });
    taken.push(...e.ports.map((p) => ({ ...p, sandbox: s.name, endpoint: id })));
  }
  return e;
}

/** Forgets an endpoint's addresses and ports in the state (the kernel side is already gone). */
export async function forgetEndpoints(ctx: ModelContext, endpoints: readonly EndpointRecord[]): Promise<void> {
  for (const e of endpoints)
    await ctx.state.ipam.release(e.networkId, [e.ipv4, ...(e.ipv6 ? [e.ipv6] : [])].map((address) => ({ address, owner: e.id })));
  if (endpoints.some((e) => e.ports.length > 0)) {
    const ids = new Set(endpoints.map((e) => e.id));
    const ports = await ctx.state.ports();
    await ctx.state.writePorts(ports.filter((p) => !ids.has(p.endpoint)));
  }
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
  return next;
}

/**
 * Removes a sandbox's kernel side in one trip: its published ports, and its
 * namespace when it is ours (its veth pairs go with it, in the kernel's
 * background work); an adopted namespace only loses our interfaces. The host
 * ends are taken down first: if some process still holds the namespace, its
 * freed addresses must not stay live on the bridge (deleting the veth instead
 * costs ~27 ms of the kernel's time; reconcile deletes such leftovers).
 * Safe to repeat; a vanished namespace or element is fine.
 */
export async function teardownKernel(ctx: ModelContext, s: SandboxRecord): Promise<void> {
  const plan = ctx.host.plan();
  if (s.netns.kind === 'owned' && s.netns.name !== undefined) {
    const unpublish = unpublishCall(s.endpoints);
    if (unpublish) plan.add(unpublish);
    for (const e of s.endpoints) if (e.hostIfname !== '') plan.add(linkCalls.set(e.hostIfname, { up: false }));
    plan.add(netnsCalls.remove(s.netns.name, { dir: ctx.netnsDir, ifExists: true }));
  } else {
    const ns = s.netns.kind === 'host' ? undefined : sandboxRefFor(plan, s, s.endpoints);
    for (const e of s.endpoints) removeEndpointCalls(plan, e, ns);
  }
  if (plan.calls.length > 0) await runTolerant(ctx, plan);
}

/** The sandbox's namespace opened as the plan's first call, when an endpoint without a host end must be deleted inside it. */
function sandboxRefFor(plan: Plan, s: SandboxRecord, endpoints: readonly EndpointRecord[]): PlanRef | undefined {
  if (!endpoints.some((e) => e.hostIfname === '') || plan.calls.length > 0) return undefined;
  return plan.add<NativeNetns>(netnsCalls.open({ path: s.netns.path }));
}

function closeOpened(handle: unknown): void {
  (handle as NativeNetns | undefined)?.close();
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

/** Everything of a sandbox, kernel and state; the caller holds the lock. */
export async function destroySandbox(ctx: ModelContext, s: SandboxRecord): Promise<void> {
  await teardownKernel(ctx, s);
  await forgetEndpoints(ctx, s.endpoints);
  await removeSandboxEtc(ctx, s);
  await ctx.state.removeSandbox(s);
  ctx.dns?.removeSandbox(s.id);
}

