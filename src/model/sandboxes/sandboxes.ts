// Sandboxes (containers' network side): create in one of Docker's network
// modes or adopt a runtime's namespace, connect/disconnect networks, publish
// ports, and remove. Each change is one unit: the kernel part is one plan
// (undone by the kernel layer on failure), and the state is taken back if the
// plan fails (make-sandbox.ts, sandbox-ops.ts).
import { join } from 'node:path';
import { ValidationError } from '../../core/errors.js';
import type { LinkedContainer } from '../../dns/hosts.js';
import { canonicalAddress } from '../../addressing/ipnet.js';
import { parsePortSpec, publishAll, type PortBinding } from '../../addressing/port-spec.js';
import type { NativeNetns } from '../../addon/native.js';
import { Netns, netnsCalls, type NetnsTarget } from '../../netns.js';
import { interfaceName, macAddress } from '../../core/validate.js';
import type { ModelContext } from '../context.js';
import { addEndpointCalls } from './endpoint-calls.js';
import { ConflictError, NoSuchObjectError } from '../../core/errors.js';
import { sandboxFiles, writeSandboxEtc } from './etc-files.js';
import { makeSandbox, networksOf } from './make-sandbox.js';
import { claimEarly, dropEarly, makeEarly, type EarlyNamespace } from './early-namespace.js';
import type { PoolEntry } from './pool.js';
import { sandboxInfo, type SandboxInfo } from '../inspect.js';
import { newId, objectName, sandboxDefaultName, sandboxNetnsName, shortId } from '../state/names.js';
import { DEFAULT_NETWORK, type Networks } from '../networks/networks.js';
import { refuseIfAny } from './ports.js';
import type { PublishedPort, SandboxRecord } from '../state/records.js';
import { destroySandbox, detachNetwork, PendingState, planEndpoint, type EndpointRequest } from './sandbox-ops.js';

/** `bridge` (the default network), `host`, `none`, `container:<name or id>`, or a network's name. */
export type NetworkMode = string;

export interface SandboxCreateOptions {
  /** Unique name; default np_<short id>. */
  name?: string;
  network?: NetworkMode;
  /** --ip / --ip6 on the first network. */
  ip?: string;
  ip6?: string;
  mac?: string;
  /** --network-alias: names this sandbox answers to in the network's DNS. */
  aliases?: string[];
  /** -p values ("8080:80", "127.0.0.1::53/udp", ...) or parsed bindings. */
  publish?: (string | PortBinding)[];
  /** -P: publish every `expose` port on a random host port. */
  publishAll?: boolean;
  expose?: string[];
  /** --link NAME[:ALIAS]. */
  links?: string[];
  hostname?: string;
  /** Adopt a namespace made by a runtime (runc, crun) instead of creating one: it is released, never deleted. */
  netns?: { path: string } | { pid: number };
  /** Also write hosts and resolv.conf here (a container's rootfs etc, a bundle). */
  filesDir?: string;
  /** --dns, --dns-search, --dns-option. */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** --add-host NAME:IP. */
  extraHosts?: string[];
}

export interface NetworkConnectOptions {
  ip?: string;
  ip6?: string;
  aliases?: string[];
}

function bindings(o: SandboxCreateOptions): PortBinding[] {
  const out: PortBinding[] = [];
  for (const p of o.publish ?? []) out.push(...(typeof p === 'string' ? parsePortSpec(p) : [p]));
  if (o.publishAll) out.push(...publishAll(o.expose ?? []));
  return out;
}

function parseLink(text: string): { target: string; alias: string } {
  const [target, alias, extra] = text.split(':');
  if (!target || extra !== undefined || alias === '')
    throw new ValidationError('links', `link '${text}' must be NAME or NAME:ALIAS`);
  return { target: objectName(target, 'links'), alias: objectName(alias ?? target, 'links') };
}

function parseExtraHost(text: string): { address: string; names: string[] } {
  const i = text.indexOf(':');
  if (i <= 0) throw new ValidationError('extraHosts', `extra host '${text}' must be NAME:IP`);
  return { names: [objectName(text.slice(0, i), 'extraHosts')], address: canonicalAddress(text.slice(i + 1).replace(/^\[|\]$/g, ''), 'extraHosts') };
}

function parseMode(mode: string): { kind: 'host' | 'none' | 'container' | 'network'; ref: string } {
  if (mode === 'host' || mode === 'none') return { kind: mode, ref: mode };
  if (mode.startsWith('container:')) {
    const ref = mode.slice('container:'.length);
    if (!ref) throw new ValidationError('network', "network mode 'container:' needs a sandbox name or id");
    return { kind: 'container', ref };
  }
  if (mode === '') throw new ValidationError('network', 'network mode must not be empty');
  return { kind: 'network', ref: mode };
}

export class Sandboxes {
  constructor(
    private readonly ctx: ModelContext,
    private readonly networks: Networks,
  ) {}

  /** A sandbox by name, full id or unique id prefix; undefined when there is none. */
  async find(ref: string): Promise<SandboxRecord | undefined> {
    const id = (await this.ctx.state.sandboxIdByName(ref)) ?? (/^[0-9a-f]{64}$/.test(ref) ? ref : undefined);
    const direct = id === undefined ? undefined : await this.ctx.state.sandbox(id);
    if (direct && !direct.removed) return direct;
    if (!/^[0-9a-f]{3,63}$/.test(ref)) return undefined;
    const matches = (await this.ctx.state.sandboxes()).filter((s) => s.id.startsWith(ref) && !s.removed);
    if (matches.length > 1) throw new ConflictError('name-in-use', `sandbox id prefix '${ref}' is ambiguous`);
    return matches[0];
  }

  private async get(ref: string): Promise<SandboxRecord> {
    const s = await this.find(ref);
    if (!s) throw new NoSuchObjectError('sandbox', ref);
    return s;
  }

  /** Creates a sandbox with its network set up, as `docker create`/`docker run` do. */
  async create(o: SandboxCreateOptions = {}): Promise<SandboxInfo> {
    const mode = parseMode(o.network ?? DEFAULT_NETWORK);
    const ports = bindings(o);
    if (mode.kind !== 'network') refuseIfAny(ports, mode.kind);
    if (o.name !== undefined) objectName(o.name, 'name');
    if (o.hostname !== undefined) objectName(o.hostname, 'hostname');
    if (o.mac !== undefined) macAddress(o.mac, 'mac');
    for (const a of o.aliases ?? []) objectName(a, 'aliases');
    const links = (o.links ?? []).map(parseLink);
    const extraHosts = (o.extraHosts ?? []).map(parseExtraHost);
    if (mode.kind !== 'network' && (o.ip !== undefined || o.ip6 !== undefined || o.aliases?.length || links.length))
      throw new ValidationError('network', `--ip, --ip6, --network-alias and --link need a bridge network, not network mode '${mode.kind}'`);
    if (o.netns !== undefined && (mode.kind === 'host' || mode.kind === 'container'))
      throw new ValidationError('netns', `an adopted namespace cannot use network mode '${mode.kind}'`);
    const target: NetnsTarget | undefined = o.netns === undefined ? undefined : 'path' in o.netns ? { path: o.netns.path } : { pid: o.netns.pid };
    if (target) netnsCalls.openArgs(target);
    // Made before taking the lock: making it takes the lock itself.
    const network = mode.kind === 'network' ? await this.networks.get(mode.ref) : undefined;
    // Another change of this engine holds the lock: make the namespace while waiting for it.
    const early = network && !target && this.ctx.state.lockBusy && !this.ctx.pool?.has(network.id) ? makeEarly(this.ctx) : undefined;
    let earlyUsed = false;

    const run = () => this.ctx.state.locked(async () => {
      // A warm namespace with its pair on this network's bridge, when the pool has one and the namespace is ours to make.
      const inUse = async (name: string) =>
        (await this.ctx.state.sandboxIdByName(name)) !== undefined &&
        new ConflictError('name-in-use', `the sandbox name '${name}' is already in use; remove that sandbox or choose another name`);
      const named = o.name === undefined ? false : await inUse(o.name);
      if (named) throw named;
      const pooled = network && !target ? await this.fromPool(network.id) : undefined;
      const premade = early && !pooled ? await claimEarly(this.ctx, early) : undefined;
      earlyUsed = premade !== undefined;
      const id = pooled?.id ?? (premade ? (early as EarlyNamespace).id : newId());
      const name = o.name ?? sandboxDefaultName(id);
      const unnamed = o.name === undefined && (await inUse(name));
      if (unnamed) {
        if (pooled) await this.ctx.pool?.discard(pooled);
        if (premade) await dropEarly(this.ctx, early as EarlyNamespace);
        throw unnamed;
      }
      const s: SandboxRecord = {
        id,
        name,
        mode: mode.kind === 'network' ? 'bridge' : mode.kind,
        hostname: o.hostname ?? shortId(id),
        netns: { kind: 'owned', path: '' },
        endpoints: [],
        links: links.map((l) => ({ sandbox: l.target, alias: l.alias })),
        created: new Date().toISOString(),
      };
      if (o.filesDir !== undefined) s.filesDir = o.filesDir;
      if (o.dns || o.dnsSearch || o.dnsOptions)
        s.dns = { ...(o.dns ? { nameservers: o.dns.map((d) => canonicalAddress(d, 'dns')) } : {}), ...(o.dnsSearch ? { search: o.dnsSearch } : {}), ...(o.dnsOptions ? { options: o.dnsOptions } : {}) };
      if (extraHosts.length) s.extraHosts = extraHosts;

      let joined: SandboxRecord | undefined;
      if (mode.kind === 'host') {
        s.netns = { kind: 'host', path: '' };
      } else if (mode.kind === 'container') {
        joined = await this.get(mode.ref);
        if (joined.mode === 'host') s.netns = { ...joined.netns };
        else s.netns = { kind: 'joined', path: joined.netns.path };
        s.joinedTo = joined.id;
      } else if (target) {
        s.netns = { kind: 'adopted', path: 'path' in target ? target.path : `/proc/${target.pid}/ns/net`, ...('pid' in target ? { pid: target.pid } : {}) };
      } else {
        const nsName = sandboxNetnsName(id);
        s.netns = { kind: 'owned', path: join(this.ctx.netnsDir, nsName), name: nsName };
      }

      const pending = new PendingState(this.ctx);
      try {
        if (network) {
          const req: EndpointRequest = { ports, aliases: o.aliases ?? [], ...(pooled ? { id: pooled.endpointId } : {}) };
          if (o.ip !== undefined) req.ipv4 = o.ip;
          if (o.ip6 !== undefined) req.ipv6 = o.ip6;
          if (o.mac !== undefined) req.mac = o.mac;
          s.endpoints.push(await planEndpoint(this.ctx, pending, s, network, req, true));
        }
        const linked = await this.linkedContainers(s, links);
        await makeSandbox(this.ctx, s, {
          pending,
          linked,
          ...(network ? { network } : {}),
          ...(target ? { target } : {}),
          ...(pooled ? { pooled } : {}),
          ...(premade ? { premade } : {}),
        });
      } catch (e) {
        if (pooled) await this.ctx.pool?.discard(pooled);
        if (premade) await dropEarly(this.ctx, early as EarlyNamespace);
        throw e;
      }
      if (joined) await this.ctx.state.writeSandbox({ ...joined, joiners: [...(joined.joiners ?? []), s.id] });
      return s;
    });
    let record: SandboxRecord;
    try {
      record = this.ctx.pool ? await this.ctx.pool.busy(run) : await run();
    } finally {
      // Made for nothing: the create failed before it could use it, or the pool served it.
      if (early && !earlyUsed) await dropEarly(this.ctx, early);
    }
    this.ctx.dns?.updateSandbox(record);
    return sandboxInfo(record, network ? [network] : []);
  }

  /** A claimed pool entry of this network, or undefined when the pool has none (or none that is still on record). */
  private async fromPool(networkId: string): Promise<PoolEntry | undefined> {
    const pool = this.ctx.pool;
    if (!pool) return undefined;
    for (let e = pool.take(networkId); e; e = pool.take(networkId)) if (await pool.claim(e)) return e;
    return undefined;
  }

  /** The addresses of --link targets, on a network both sandboxes are on. */
  private async linkedContainers(s: SandboxRecord, links: { target: string; alias: string }[]): Promise<LinkedContainer[]> {
    const out: LinkedContainer[] = [];
    for (const l of links) {
      const t = await this.find(l.target);
      if (!t) throw new NoSuchObjectError('sandbox', l.target, `cannot link to it: no such sandbox`);
      const shared = t.endpoints.find((te) => s.endpoints.some((e) => e.networkId === te.networkId));
      if (!shared) throw new ValidationError('links', `cannot link to '${l.target}': it is not on a network this sandbox is on`);
      out.push({ address: shared.ipv4, name: t.name, alias: l.alias, id: t.id, hostname: t.hostname });
    }
    return out;
  }

  private async writeFiles(s: SandboxRecord): Promise<void> {
    const links = await this.linkedContainers(s, s.links.map((l) => ({ target: l.sandbox, alias: l.alias }))).catch(() => []);
    await writeSandboxEtc(this.ctx, s, sandboxFiles(this.ctx, s, await networksOf(this.ctx, s), links));
  }

  /** `docker network connect`: another endpoint (eth1, ...) in a running sandbox. */
  async connect(sandboxRef: string, networkRef: string, o: NetworkConnectOptions = {}): Promise<SandboxInfo> {
    for (const a of o.aliases ?? []) objectName(a, 'aliases');
    const network = await this.networks.get(networkRef);
    const record = await this.ctx.state.locked(async () => {
      const s = await this.get(sandboxRef);
      if (s.mode === 'host' || s.mode === 'container')
        throw new ConflictError('mode', `sandbox '${s.name}' uses network mode '${s.mode}' and cannot be connected to networks`);
      if (s.endpoints.some((e) => e.networkId === network.id))
        throw new ConflictError('already-connected', `sandbox '${s.name}' is already connected to network '${network.name}'`);
      const pending = new PendingState(this.ctx);
      const req: EndpointRequest = { aliases: o.aliases ?? [] };
      if (o.ip !== undefined) req.ipv4 = o.ip;
      if (o.ip6 !== undefined) req.ipv6 = o.ip6;
      const e = await planEndpoint(this.ctx, pending, s, network, req, !s.endpoints.some((x) => x.gatewayRoute));
      const plan = this.ctx.host.plan();
      const ns = plan.add<NativeNetns>(netnsCalls.open({ path: s.netns.path }));
      addEndpointCalls(plan, ns, e, network);
      const [handle] = (await plan.run()) as [NativeNetns];
      Netns.fromHandle(handle).close();
      const next: SandboxRecord = { ...s, mode: 'bridge', endpoints: [...s.endpoints, e] };
      try {
        await pending.commit();
        await this.ctx.state.writeSandbox(next);
      } catch (err) {
        await detachNetwork(this.ctx, next, network).catch(() => undefined);
        throw err;
      }
      await this.writeFiles(next);
      return next;
    });
    this.ctx.dns?.updateSandbox(record);
    return sandboxInfo(record, [...(await networksOf(this.ctx, record)).values()]);
  }

  /** `docker network disconnect`. */
  async disconnect(sandboxRef: string, networkRef: string): Promise<SandboxInfo> {
    const network = await this.networks.get(networkRef);
    const record = await this.ctx.state.locked(async () => {
      const s = await this.get(sandboxRef);
      if (!s.endpoints.some((e) => e.networkId === network.id))
        throw new NoSuchObjectError('endpoint', `${s.name} on ${network.name}`, `sandbox '${s.name}' is not connected to network '${network.name}'`);
      const next = await detachNetwork(this.ctx, s, network);
      await this.writeFiles(next);
      return next;
    });
    return sandboxInfo(record, [...(await networksOf(this.ctx, record)).values()]);
  }

  /**
   * Removes a sandbox: its ports, endpoints and (when ours) namespace; an
   * adopted namespace is released. With `force`, a sandbox that is already
   * gone is not an error (as a CNI DEL). A sandbox whose namespace others
   * joined stays hidden until the last of them is removed.
   */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<void> {
    const run = () => this.ctx.state.locked(async () => {
      const s = await this.find(ref);
      if (!s) {
        if (opts.force) return;
        throw new NoSuchObjectError('sandbox', ref);
      }
      if (s.joiners && s.joiners.length > 0) {
        await this.ctx.state.hideSandbox({ ...s, removed: true });
        this.ctx.dns?.removeSandbox(s.id);
        return;
      }
      await destroySandbox(this.ctx, s);
      if (s.joinedTo !== undefined) {
        const owner = await this.ctx.state.sandbox(s.joinedTo);
        if (!owner) return;
        const joiners = (owner.joiners ?? []).filter((j) => j !== s.id);
        if (owner.removed && joiners.length === 0) await destroySandbox(this.ctx, owner);
        else if (owner.removed) await this.ctx.state.hideSandbox({ ...owner, joiners });
        else await this.ctx.state.writeSandbox({ ...owner, joiners });
      }
    });
    await (this.ctx.pool ? this.ctx.pool.busy(run) : run());
  }

  async inspect(ref: string): Promise<SandboxInfo> {
    const s = await this.get(ref);
    return sandboxInfo(s, [...(await networksOf(this.ctx, s)).values()]);
  }

  async list(): Promise<SandboxInfo[]> {
    const [sandboxes, networks] = await Promise.all([this.ctx.state.sandboxes(), this.ctx.state.networks()]);
    return sandboxes.filter((s) => !s.removed).sort((a, b) => a.created.localeCompare(b.created)).map((s) => sandboxInfo(s, networks));
  }

  /** `docker port`. */
  async ports(ref: string): Promise<PublishedPort[]> {
    return (await this.get(ref)).endpoints.flatMap((e) => e.ports);
  }

  /** The sandbox's namespace, to run sockets or processes in; close it when done. Host mode gives the engine's own, opened anew. */
  async netns(ref: string): Promise<Netns> {
    const s = await this.get(ref);
    if (s.netns.kind !== 'host') return Netns.open({ path: s.netns.path });
    // A handle of its own, so that closing it leaves the engine's open.
    return Netns.open({ path: `/proc/self/fd/${this.ctx.host.handle.fd}` });
  }
}

