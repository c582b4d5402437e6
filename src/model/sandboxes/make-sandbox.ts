// Making a planned sandbox real, as one unit, while the caller holds the
// state lock: one kernel plan (namespace, veth pairs, addresses, routes,
// published ports), and the state. The plan runs on an addon thread while
// this thread writes what reserves the sandbox's addresses, host ports and
// name, and its hosts and resolv.conf under /etc/netns: the kernel's part is the longer one,
// so the state costs next to nothing on top. The sandbox's record, by which
// every reader finds it, is written only once the plan succeeded (and the
// files in a directory the caller named, which may hold older ones). If the plan
// fails, the kernel layer has undone it and the reservations are taken back;
// if a write fails, the kernel side is torn down again. Either way nothing
// is left, kernel or state. After a crash in between, reconcile frees
// reservations that no record owns and deletes namespaces that none names.
import type { LinkedContainer } from '../../dns/hosts.js';
import type { NativeNetns } from '../../addon/native.js';
import { Netns, netnsCalls, type NetnsTarget } from '../../netns.js';
import type { ModelContext } from '../context.js';
import type { NetworkRecord, SandboxRecord } from '../state/records.js';
import { activateEndpointCalls, addEndpointCalls } from './endpoint-calls.js';
import { removeSandboxEtc, sandboxFiles, writeSandboxEtc } from './etc-files.js';
import type { PoolEntry } from './pool.js';
import { teardownKernel, type PendingState } from './sandbox-ops.js';

export interface SandboxUnit {
  pending: PendingState;
  linked: LinkedContainer[];
  /** The network of its endpoint, if it has one. */
  network?: NetworkRecord;
  /** An adopted namespace. */
  target?: NetnsTarget;
  /** A warm pool entry already claimed: its namespace and pair become the sandbox's. */
  pooled?: PoolEntry;
  /** The sandbox's namespace, made already (early-namespace.ts): the plan adds the rest. */
  premade?: NativeNetns;
}

/** The networks a sandbox is on, read one by one (never every network). */
export async function networksOf(ctx: ModelContext, s: Pick<SandboxRecord, 'endpoints'>): Promise<Map<string, NetworkRecord>> {
  const out = new Map<string, NetworkRecord>();
  for (const e of s.endpoints) {
    if (out.has(e.networkId)) continue;
    const n = await ctx.state.network(e.networkId);
    if (n) out.set(e.networkId, n);
  }
  return out;
}

/** The kernel side of a new sandbox; resolves once it is all there (and the namespace handle closed). */
function runKernel(ctx: ModelContext, s: SandboxRecord, u: SandboxUnit): Promise<void> {
  if (s.netns.kind !== 'owned' && s.netns.kind !== 'adopted') return Promise.resolve();
  const plan = ctx.host.plan();
  if (u.pooled) {
    for (const e of s.endpoints) activateEndpointCalls(plan, u.pooled.handle, e, u.network as NetworkRecord);
    // The handle goes once the pair is live, so that only the sandbox's users hold the namespace.
    return plan.run().then(() => u.pooled?.handle.close());
  }
  if (u.premade) {
    for (const e of s.endpoints) addEndpointCalls(plan, u.premade, e, u.network as NetworkRecord);
    return plan.run().then(() => u.premade?.close());
  }
  const ns = s.netns.kind === 'owned'
    ? plan.add<NativeNetns>(netnsCalls.create({ name: s.netns.name as string, dir: ctx.netnsDir, loopbackUp: true }))
    : plan.add<NativeNetns>(netnsCalls.open(u.target as NetnsTarget));
  for (const e of s.endpoints) addEndpointCalls(plan, ns, e, u.network as NetworkRecord);
  return plan.run().then(([handle]) => Netns.fromHandle(handle as NativeNetns).close());
}

/** Takes back the reservations and files of a sandbox whose kernel side is not there. */
async function takeBack(ctx: ModelContext, s: SandboxRecord, u: SandboxUnit): Promise<void> {
  await u.pending.rollback();
  await ctx.state.removeSandbox(s);
  await removeSandboxEtc(ctx, s);
}

/** Makes `s` (planned, with its addresses and ports in `u.pending`) in the kernel and on record. */
export async function makeSandbox(ctx: ModelContext, s: SandboxRecord, u: SandboxUnit): Promise<void> {
  const kernel = runKernel(ctx, s, u);
  // Awaited below; this keeps a failure that comes while the writes run from counting as unhandled.
  kernel.catch(() => undefined);
  let writeError: unknown;
  let files: { hosts: string; resolvConf: string } | undefined;
  try {
    await u.pending.commit();
    await ctx.state.writeSandboxName(s);
    if (s.netns.kind === 'owned' || s.filesDir !== undefined) {
      const networks = u.network ? new Map([[u.network.id, u.network]]) : new Map<string, NetworkRecord>();
      files = sandboxFiles(ctx, s, networks, u.linked);
      await writeSandboxEtc(ctx, s, files, 'netns');
    }
  } catch (e) {
    writeError = e;
  }
  try {
    await kernel;
  } catch (e) {
    await takeBack(ctx, s, u).catch(() => undefined);
    throw e;
  }
  try {
    if (writeError !== undefined) throw writeError;
    await ctx.state.writeSandboxRecord(s);
    // The caller's own directory only once the sandbox exists: a failed create leaves it as it was.
    if (files && s.filesDir !== undefined) await writeSandboxEtc(ctx, s, files, 'filesDir');
  } catch (e) {
    await teardownKernel(ctx, s).catch(() => undefined);
    await takeBack(ctx, s, u).catch(() => undefined);
    throw e;
  }
}
