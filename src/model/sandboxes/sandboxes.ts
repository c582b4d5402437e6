// Sandboxes (containers' network side): create in one of Docker's network
// modes or adopt a runtime's namespace, connect/disconnect networks, publish
// ports, and remove. Each change is one unit: the kernel part is one plan
// (undone by the kernel layer on failure) and the state is written around it
// (a create's beside it: see createLocked), taken back if the plan fails.
import type { ChildProcess } from 'node:child_process';
import { isAbsolute, join } from 'node:path';
import { StateError, ValidationError } from '../../core/errors.js';
import type { LinkedContainer } from '../../dns/hosts.js';
import { canonicalAddress } from '../../addressing/ipnet.js';
import { checkPortBinding, parsePortSpec, publishAll, type PortBinding } from '../../addressing/port-spec.js';
import type { NativeNetns } from '../../addon/native.js';
import type { Plan, PlanRef } from '../../addon/plan.js';
import { Netns, netnsCalls, type NetnsTarget } from '../../netns.js';
import { checkOptions, cidr, describeValue, integer, interfaceName, ipAddress, option, unicastMac, type OptionKind } from '../../core/validate.js';
import type { ModelContext } from '../context.js';
import { activateEndpointCalls, addEndpointCalls } from './endpoint-calls.js';
import { discardReady, POOLED_IFNAME, type PoolEntry } from './pool.js';
import { EarlyPair } from './early-pair.js';
import { ConflictError, NoSuchObjectError } from '../../core/errors.js';
import { portMappings } from '../firewall/view.js';
import { hostPortsInUse, publishConflict } from './host-ports.js';
import { sandboxFiles, writeSandboxEtc } from './etc-files.js';
import { sandboxInfo, sandboxList, type SandboxInfo } from '../inspect.js';
import { newId, objectName, sandboxDefaultName, sandboxNetnsName, shortId } from '../state/names.js';
import { DEFAULT_NETWORK, type Networks } from '../networks/networks.js';
import { refuseIfAny, type BusyPort } from './ports.js';
import { verifySandbox } from './verify.js';
import type { EndpointRoute, NetworkRecord, PublishedPort, SandboxRecord } from '../state/records.js';
import { execIn, spawnIn, type ExecOptions, type ExecResult, type LaunchOptions } from '../../kernel/launch.js';
import { launchTarget } from './processes.js';
import { isStacked } from '../networks/drivers/index.js';
import { destroySandbox, detachNetwork, forgetSandbox, networksOf, nextIfname, PendingState, planEndpoint, teardownKernel, type EndpointRequest, type TeardownOptions } from './sandbox-ops.js';

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
  /** The interface's name in the sandbox on the first network (default eth0), as a CNI runtime's CNI_IFNAME. */
  ifname?: string;
  /** Routes through the first network besides (or, with defaultRoute false, instead of) the default route. */
  routes?: EndpointRoute[];
  /** A default route via the first network's gateway (default true). */
  defaultRoute?: boolean;
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
  /** --label: metadata kept with the sandbox (ps --filter label=…). */
  labels?: Record<string, string>;
  /**
   * The caller's key for this request (letters, digits, '_', '-'; at most 128):
   * while the sandbox it made exists, a create with the same key returns that
   * sandbox instead of making another, so a request whose answer was lost
   * (a daemon restarted, a CNI ADD retried) can be sent again safely.
   */
  idempotencyKey?: string;
}

export interface NetworkConnectOptions {
  ip?: string;
  ip6?: string;
  aliases?: string[];
}

const portSpecs: OptionKind = {
  test: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string' || (typeof x === 'object' && x !== null && !Array.isArray(x))),
  what: 'an array of port specs ("8080:80", or bindings as parsePortSpec makes them)',
};

/** The kinds of SandboxCreateOptions, for callers from plain JavaScript. */
const CREATE_OPTIONS: Record<keyof SandboxCreateOptions, OptionKind> = {
  ifname: option.string,
  routes: option.arrayOf(option.object),
  defaultRoute: option.boolean,
  idempotencyKey: option.string,
  name: option.string,
  network: option.string,
  ip: option.string,
  ip6: option.string,
  mac: option.string,
  aliases: option.strings,
  publish: portSpecs,
  publishAll: option.boolean,
  expose: option.strings,
  links: option.strings,
  hostname: option.string,
  netns: option.object,
  filesDir: option.string,
  dns: option.strings,
  dnsSearch: option.strings,
  dnsOptions: option.strings,
  extraHosts: option.strings,
  labels: option.stringMap,
};

const CONNECT_OPTIONS: Record<keyof NetworkConnectOptions, OptionKind> = { ip: option.string, ip6: option.string, aliases: option.strings };

/** A sandbox or network named by the caller: a string (plain JavaScript could pass anything). */
function checkRef(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw new ValidationError(field, `${field} must be a name or id (a non-empty string), got ${typeof v}`);
  return v;
}

/** resolv.conf words (search domains, options): one word each, nothing that would start another line. */
function resolvWords(values: readonly string[] | undefined, field: string): void {
  for (const v of values ?? [])
    if (v === '' || /[\s\0#;]/.test(v)) throw new ValidationError(field, `${field} '${v.replace(/\0/g, '\\0')}' must be one word for resolv.conf (no whitespace, NUL, '#' or ';')`);
}

/** A runtime's namespace to adopt: by the path of its file, or by a process in it. */
type AdoptTarget = { path: string } | { pid: number };

function adoptTarget(v: SandboxCreateOptions['netns']): AdoptTarget | undefined {
  if (v === undefined) return undefined;
  checkOptions(v, { path: option.string, pid: option.integer }, 'netns', 'netns.');
  const o = v as { path?: string; pid?: number };
  if ((o.path === undefined) === (o.pid === undefined)) throw new ValidationError('netns', 'netns takes { path } or { pid }, exactly one of them');
  if (o.path !== undefined) {
    if (o.path === '' || o.path.includes('\0')) throw new ValidationError('netns.path', 'netns.path must name a namespace file (such as /proc/1234/ns/net) and hold no NUL');
    return { path: o.path };
  }
  return { pid: integer(o.pid, 'netns.pid', 1, 2 ** 31 - 1) };
}

/** The path an adopted namespace is recorded (and found again) by. */
function adoptedPath(t: AdoptTarget): string {
  return 'path' in t ? t.path : `/proc/${t.pid}/ns/net`;
}

function bindings(o: SandboxCreateOptions): PortBinding[] {
  const out: PortBinding[] = [];
  for (const p of o.publish ?? []) out.push(...(typeof p === 'string' ? parsePortSpec(p) : [checkPortBinding(p)]));
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
  /** The engine's own namespace's cookie, read once: adopting that namespace is refused. */
  private hostCookie: Promise<string> | undefined;

  constructor(
    private readonly ctx: ModelContext,
    private readonly networks: Networks,
  ) {}

  /**
   * A sandbox by name, full id or unique id prefix; undefined when there is
   * none. A record still being made (or whose making died half way) is not
   * found, except with `pending` (under the state lock, where a pending
   * record can only be a dead process's).
   */
  async find(name: string, opts: { pending?: boolean } = {}): Promise<SandboxRecord | undefined> {
    return (await this.locate(name, opts)).record;
  }

  /** find(), and whether the name index entry `name` is known to point at the record found (a removal then frees it unread). */
  private async locate(name: string, opts: { pending?: boolean }): Promise<{ record: SandboxRecord | undefined; indexed: boolean }> {
    checkRef(name, 'sandbox');
    const byName = await this.ctx.state.sandboxIdByName(name);
    const id = byName ?? (/^[0-9a-f]{64}$/.test(name) ? name : undefined);
    const direct = id === undefined ? undefined : await this.ctx.state.sandbox(id);
    if (direct && !direct.removed && (direct.pending === undefined || opts.pending)) return { record: direct, indexed: byName === direct.id && direct.name === name };
    if (!/^[0-9a-f]{3,63}$/.test(name)) return { record: undefined, indexed: false };
    const matches = (await this.ctx.state.sandboxes(opts)).filter((s) => s.id.startsWith(name) && !s.removed);
    if (matches.length > 1) throw new ConflictError('name-in-use', `sandbox id prefix '${name}' is ambiguous`);
    return { record: matches[0], indexed: false };
  }

  /**
   * Opens a namespace to adopt, before anything changes: its cookie is what
   * the record keeps (so nothing ever changes another namespace found at its
   * path later), and the engine's own namespace is refused.
   */
  private async adopt(target: NetnsTarget): Promise<{ ns: Netns; cookie: string }> {
    this.hostCookie ??= this.ctx.host.cookie();
    // Asked once per engine, alongside; awaited (and its failure reported) below.
    this.hostCookie.catch(() => undefined);
    const { ns, cookie } = await Netns.openWithCookie(target);
    try {
      const hostCookie = await this.hostCookie;
      if (cookie === hostCookie)
        throw new ValidationError(
          'netns',
          `netns ${'pid' in (target as object) ? `{ pid: ${(target as { pid: number }).pid} }` : `'${(target as { path: string }).path}'`} is the engine's own namespace (where its bridges and firewall are): adopting it would put a sandbox's address and default route on the host; use network mode 'host' for a sandbox on the host's network`,
        );
      return { ns, cookie };
    } catch (e) {
      ns.close();
      throw e;
    }
  }

  private async get(ref: string): Promise<SandboxRecord> {
    const s = await this.find(ref);
    if (!s) throw new NoSuchObjectError('sandbox', ref);
    return s;
  }

  /** Creates a sandbox with its network set up, as `docker create`/`docker run` do. */
  async create(o: SandboxCreateOptions = {}): Promise<SandboxInfo> {
    // Everything about the input is checked here, before anything changes.
    checkOptions(o, CREATE_OPTIONS, 'sandbox options');
    const mode = parseMode(o.network ?? DEFAULT_NETWORK);
    const ports = bindings(o);
    if (mode.kind !== 'network') refuseIfAny(ports, mode.kind);
    if (o.name !== undefined) objectName(o.name, 'name');
    if (o.hostname !== undefined) objectName(o.hostname, 'hostname');
    const mac = o.mac === undefined ? undefined : unicastMac(o.mac, 'mac');
    if (o.ip !== undefined) canonicalAddress(o.ip, 'ip');
    if (o.ip6 !== undefined) canonicalAddress(o.ip6, 'ip6');
    for (const a of o.aliases ?? []) objectName(a, 'aliases');
    const links = (o.links ?? []).map(parseLink);
    const extraHosts = (o.extraHosts ?? []).map(parseExtraHost);
    const nameservers = o.dns?.map((d) => canonicalAddress(d, 'dns'));
    resolvWords(o.dnsSearch, 'dnsSearch');
    resolvWords(o.dnsOptions, 'dnsOptions');
    // Absolute: a relative directory would depend on where each process that rewrites the files runs.
    if (o.filesDir !== undefined && (!isAbsolute(o.filesDir) || o.filesDir.includes('\0')))
      throw new ValidationError('filesDir', `filesDir must be an absolute directory path without NUL, got ${describeValue(o.filesDir)}`);
    if (o.ifname !== undefined) interfaceName(o.ifname, 'ifname');
    for (const r of o.routes ?? []) {
      const family = cidr(r.destination, 'routes').family;
      if (r.gateway !== undefined && ipAddress(r.gateway, 'routes') !== family)
        throw new ValidationError('routes', `route ${r.destination} via ${r.gateway}: the gateway is not of the destination's family`);
    }
    if (mode.kind !== 'network' && (o.ip !== undefined || o.ip6 !== undefined || o.aliases?.length || links.length || o.ifname !== undefined || o.routes?.length))
      throw new ValidationError('network', `--ip, --ip6, --network-alias, --link, ifname and routes need a bridge network, not network mode '${mode.kind}'`);
    if (o.netns !== undefined && (mode.kind === 'host' || mode.kind === 'container'))
      throw new ValidationError('netns', `an adopted namespace cannot use network mode '${mode.kind}'`);
    const target = adoptTarget(o.netns);
    const key = o.idempotencyKey;
    if (key !== undefined && (typeof key !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(key)))
      throw new ValidationError('idempotencyKey', `idempotency key '${String(key)}' must be 1-128 letters, digits, '_' or '-', starting with a letter or digit`);
    // Opening an adopted namespace is a trip to an addon thread: started first, it overlaps the network's
    // lookup. Awaited below (this keeps a failure meanwhile from counting as unhandled).
    const adopting = target ? this.adopt(target) : undefined;
    adopting?.catch(() => undefined);
    let network: NetworkRecord | undefined;
    try {
      // Made before taking the lock: making it takes the lock itself.
      network = mode.kind === 'network' ? await this.networks.get(mode.ref) : undefined;
    } catch (e) {
      void adopting?.then((a) => a.ns.close(), () => undefined);
      throw e;
    }
    // What the host listens on is the kernel's to say, not the state's: asked now, its trip overlaps
    // opening an adopted namespace and the wait for the lock.
    const busy = network && ports.length > 0 && !isStacked(network) ? hostPortsInUse(this.ctx, ports, network.hostBinding) : undefined;
    // Awaited by planEndpoint under the lock (a refused host address is refused there, before anything changes).
    busy?.catch(() => undefined);
    const adopted = await adopting;
    let early: EarlyPair | undefined;

    try {
      // A pair of a sandbox removed in the background may still hold the interface name there.
      if (adopted) await this.ctx.reaper.flush(adoptedPath(target as AdoptTarget));
      // An adopted namespace's pair is made now, on an addon thread, while this one goes on (see early-pair.ts).
      if (adopted && network && !isStacked(network))
        early = new EarlyPair(this.ctx, adopted.ns.handle, network, o.ifname ?? nextIfname({ endpoints: [] }), mac);
      let replayed = false;
      const run = async (): Promise<SandboxRecord> => {
        // The same key again (a client retrying after a lost answer) gets the sandbox it made.
        const prior = key === undefined ? undefined : await this.ctx.state.sandboxIdByKey(key);
        const existing = prior === undefined ? undefined : await this.ctx.state.sandbox(prior);
        if (existing?.pending !== undefined && this.ctx.state.inFlight(existing.id))
          throw new ConflictError('name-in-use', `a create with idempotency key '${key}' is still in progress; send it again once that one has answered`);
        if (existing && !existing.removed && existing.pending === undefined) {
          replayed = true;
          return existing;
        }
        // A namespace with its pair on this network's bridge, ready, when the pool has one and the namespace is ours to make.
        const pooled = network && !target && (o.ifname === undefined || o.ifname === POOLED_IFNAME) ? this.ctx.warmPool?.take(network.id) : undefined;
        try {
          return await this.createLocked(o, { mode, ports, mac, links, extraHosts, nameservers, network, target, adopted, pooled, early, busy });
        } catch (e) {
          // Refused before anything changed: the entry is still on record and goes back to the pool.
          if (pooled && this.ctx.state.hasPoolEntry(pooled.id)) this.ctx.warmPool?.giveBack(pooled);
          throw e;
        }
      };
      // Beside other creates of this process that wait for their kernel plans (see createLocked).
      const locked = () => this.ctx.state.locked(run, { besideParked: true });
      const record = await (this.ctx.warmPool ? this.ctx.warmPool.busy(locked) : locked());
      if (replayed) return sandboxInfo(record, await this.ctx.state.networks());
      this.ctx.dns?.updateSandbox(record);
      this.ctx.events.sandbox('create', record, network ? [network] : []);
      return sandboxInfo(record, network ? [network] : []);
    } finally {
      // A create that failed (or replayed another) leaves no pair behind.
      await early?.discard();
      adopted?.ns.close();
    }
  }

  /**
   * The state and kernel side of create, under the lock. The record is
   * written first, marked pending, naming everything the kernel side will
   * make; then the kernel plan, while the name, addresses, ports and the
   * sandbox's files are written beside it; then the record made whole. A
   * failure undoes all of it, state files included; a crash anywhere leaves
   * a pending record that reconcile (or the next create or remove of the
   * name) rolls back.
   */
  private async createLocked(
    o: SandboxCreateOptions,
    v: {
      mode: ReturnType<typeof parseMode>;
      ports: PortBinding[];
      mac: string | undefined;
      links: { target: string; alias: string }[];
      extraHosts: { address: string; names: string[] }[];
      nameservers: string[] | undefined;
      network: NetworkRecord | undefined;
      target: AdoptTarget | undefined;
      adopted: { ns: Netns; cookie: string } | undefined;
      /** A warm pool entry taken for this sandbox: its ids, namespace and pair become the sandbox's. */
      pooled: PoolEntry | undefined;
      /** The adopted namespace's pair, being made: its endpoint id and pair become the endpoint's. */
      early: EarlyPair | undefined;
      /** The host's listeners on the ports to publish, being asked. */
      busy: Promise<BusyPort[]> | undefined;
    },
  ): Promise<SandboxRecord> {
    const { mode, ports, links, extraHosts, network, target, adopted, pooled, early } = v;
    {
      const id = pooled?.id ?? newId();
      const name = o.name ?? sandboxDefaultName(id);
      await this.claimName(name);
      const s: SandboxRecord = {
        id,
        name,
        mode: mode.kind === 'network' ? 'bridge' : mode.kind,
        hostname: o.hostname ?? shortId(id),
        netns: { kind: 'owned', path: '' },
        endpoints: [],
        links: links.map((l) => ({ sandbox: l.target, alias: l.alias })),
        pending: 'create',
        created: new Date().toISOString(),
      };
      if (o.filesDir !== undefined) s.filesDir = o.filesDir;
      if (o.idempotencyKey !== undefined) s.idempotencyKey = o.idempotencyKey;
      if (o.dns || o.dnsSearch || o.dnsOptions)
        s.dns = { ...(v.nameservers ? { nameservers: v.nameservers } : {}), ...(o.dnsSearch ? { search: [...o.dnsSearch] } : {}), ...(o.dnsOptions ? { options: [...o.dnsOptions] } : {}) };
      if (extraHosts.length) s.extraHosts = extraHosts;
      if (o.labels && Object.keys(o.labels).length) s.labels = { ...o.labels };

      let joined: SandboxRecord | undefined;
      if (mode.kind === 'host') {
        s.netns = { kind: 'host', path: '' };
      } else if (mode.kind === 'container') {
        joined = await this.get(mode.ref);
        if (joined.mode === 'host') s.netns = { ...joined.netns };
        else s.netns = { kind: 'joined', path: joined.netns.path };
        s.joinedTo = joined.id;
      } else if (target && adopted) {
        s.netns = { kind: 'adopted', path: adoptedPath(target), ...('pid' in target ? { pid: target.pid } : {}), cookie: adopted.cookie };
      } else {
        const nsName = sandboxNetnsName(id);
        s.netns = { kind: 'owned', path: join(this.ctx.netnsDir, nsName), name: nsName };
      }

      const pending = new PendingState(this.ctx);
      if (network) {
        const req: EndpointRequest = { ports, aliases: [...(o.aliases ?? [])], ...(v.busy ? { busy: v.busy } : {}) };
        if (o.ip !== undefined) req.ipv4 = o.ip;
        if (o.ip6 !== undefined) req.ipv6 = o.ip6;
        if (v.mac !== undefined) req.mac = v.mac;
        if (o.ifname !== undefined) req.ifname = o.ifname;
        if (o.routes !== undefined) req.routes = o.routes;
        if (pooled) req.id = pooled.endpointId;
        if (early) req.id = early.endpointId;
        s.endpoints.push(await planEndpoint(this.ctx, pending, s, network, req, o.defaultRoute ?? true));
      }
      const linked = await this.linkedContainers(s, links);

      // Everything that could still refuse the input is built before anything changes: the plan and the files.
      let plan: Plan | undefined;
      let cookie: number | undefined;
      if (s.netns.kind === 'owned' || s.netns.kind === 'adopted') {
        plan = this.ctx.host.plan();
        let ns: NativeNetns | PlanRef;
        if (pooled) {
          // The pair is there already: the sandbox end gets its MAC and comes up, then addresses, routes, ports.
          // Its namespace's cookie was read when it was made, so the pending record holds it already.
          s.netns.cookie = pooled.cookie;
          for (const e of s.endpoints) activateEndpointCalls(plan, pooled.handle, e, network as NetworkRecord, this.ctx.state.owner);
        } else if (early) {
          for (const e of s.endpoints) activateEndpointCalls(plan, (adopted as { ns: Netns }).ns.handle, e, network as NetworkRecord, this.ctx.state.owner);
        } else {
          if (s.netns.kind === 'owned') {
            ns = plan.add<NativeNetns>(netnsCalls.create({ name: s.netns.name as string, dir: this.ctx.netnsDir, loopbackUp: true }));
            cookie = plan.add(netnsCalls.cookie(), ns).$result;
          } else {
            ns = (adopted as { ns: Netns }).ns.handle;
          }
          for (const e of s.endpoints) addEndpointCalls(plan, ns, e, network as NetworkRecord, this.ctx.state.owner);
        }
      }
      // The sandbox is on this one network (if any): its record was read above, not again.
      const known = new Map(network ? [[network.id, network]] : []);
      const files = s.netns.kind === 'owned' || s.filesDir !== undefined ? await this.filesOf(s, linked, known) : undefined;

      // From here on something changes. A namespace of our own making is
      // named by the record before the plan makes it: first the name (an entry
      // no record backs is ignored by lookups), so that `rm -f NAME` after a
      // crash at any later instant finds the record; then the record, pending,
      // naming all of it. A pooled namespace is named by its pool entry until
      // the whole record is written: a crash before then leaves a dead
      // engine's entry, which reconcile deletes with its namespace, and
      // state files no record backs, which it rebuilds from the records; so
      // its plan starts at once.
      if (!pooled) {
        await this.ctx.state.indexName(s);
        await this.ctx.state.writeSandbox(s);
      }
      // The plan runs on an addon thread while this one writes what reserves
      // the name, addresses and host ports and the sandbox's own files: with a
      // free core the kernel's part is the longer one, so the state costs next
      // to nothing on top. Nothing written under the lock is seen by anyone
      // before it is released.
      const kernel = early ? early.made.then(() => (plan as Plan).run()) : plan?.run();
      // Awaited below; this keeps a failure that comes while the writes run from counting as unhandled.
      kernel?.catch(() => undefined);
      // Until the plan has run, the kernel holds nothing of this sandbox: a plan that fails is undone by the core.
      let kernelDone = !plan;
      try {
        let writeError: unknown;
        try {
          if (pooled) await this.ctx.state.indexName(s);
          await pending.commit();
          if (files) await writeSandboxEtc(this.ctx, s, files, 'netns');
        } catch (e) {
          writeError = e;
        }
        if (kernel) {
          // Everything this create reserved is written: while its plan runs on an addon thread, other creates of
          // this process take their turns (their state work then overlaps this one's kernel work), and changes of
          // any other kind wait until none is parked, so nobody but a create meets this pending record in flight.
          const results = await this.ctx.state.park(s.id, kernel).catch(async (e: unknown) => {
            throw await publishConflict(this.ctx, e, s.endpoints.flatMap((x) => portMappings(x)));
          });
          kernelDone = true;
          if (pooled) {
            pooled.handle.close();
          } else if (s.netns.kind === 'owned') {
            Netns.fromHandle(results[0] as NativeNetns).close();
            s.netns.cookie = results[cookie as number] as string;
          }
        }
        if (writeError !== undefined) throw writeError;
        // The caller's directory only once the sandbox exists: a failed create leaves it as it was.
        if (files && s.filesDir !== undefined) await writeSandboxEtc(this.ctx, s, files, 'filesDir');
        delete s.pending;
        await this.ctx.state.writeSandbox(s);
        // The pool's entry goes once the record names its namespace (a crash in between leaves both naming it:
        // reconcile then keeps the sandbox and drops the entry).
        if (pooled) await this.ctx.state.removePoolEntry(pooled.id);
        if (early) early.kept = true;
        if (joined) await this.ctx.state.writeSandbox({ ...joined, joiners: [...(joined.joiners ?? []), s.id] });
      } catch (e) {
        // Whatever failed, kernel and state go back to what they were (and
        // nothing of the kernel is touched when the plan did not run: a port
        // it could not publish is someone else's).
        if (kernelDone) await destroySandbox(this.ctx, s).catch(() => undefined);
        else await forgetSandbox(this.ctx, s).catch(() => undefined);
        // A pooled namespace the plan did not finish is not the pool's any more: it goes, its pair with it.
        if (pooled) {
          if (!kernelDone) await discardReady(this.ctx, pooled);
          await this.ctx.state.removePoolEntry(pooled.id).catch(() => undefined);
        }
        await pending.restoreCursors().catch(() => undefined);
        throw e;
      }
      return s;
    }
  }

  /**
   * Makes sure a name is free for a new sandbox: taken by a whole sandbox, or
   * by a create of this process in flight, is a conflict; taken by a record
   * whose creation died half way (we hold the lock and it is not parked, so
   * its process is gone) rolls that one back first.
   */
  private async claimName(name: string): Promise<void> {
    const holder = await this.ctx.state.sandboxIdByName(name, { likelyFree: true });
    if (holder === undefined) return;
    const other = await this.ctx.state.sandbox(holder);
    if (other?.pending !== undefined && this.ctx.state.inFlight(other.id))
      throw new ConflictError('name-in-use', `the sandbox name '${name}' is being taken by a create still in progress; choose another name, or remove that sandbox once it is made`);
    if (other?.pending !== undefined) await destroySandbox(this.ctx, other, { checked: true });
    else if (other && !other.removed && other.name === name)
      throw new ConflictError('name-in-use', `the sandbox name '${name}' is already in use; remove that sandbox or choose another name`);
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

  /** The sandbox's hosts and resolv.conf (computed, not written). */
  private async filesOf(s: SandboxRecord, linked?: LinkedContainer[], known?: ReadonlyMap<string, NetworkRecord>): Promise<{ hosts: string; resolvConf: string }> {
    const networks = known ?? (await networksOf(this.ctx, s));
    const links = linked ?? (await this.linkedContainers(s, s.links.map((l) => ({ target: l.sandbox, alias: l.alias }))).catch(() => []));
    return sandboxFiles(this.ctx, s, networks, links);
  }

  private async writeFiles(s: SandboxRecord, linked?: LinkedContainer[]): Promise<void> {
    await writeSandboxEtc(this.ctx, s, await this.filesOf(s, linked));
  }

  /** `docker network connect`: another endpoint (eth1, ...) in a running sandbox. */
  async connect(sandboxRef: string, networkRef: string, o: NetworkConnectOptions = {}): Promise<SandboxInfo> {
    checkRef(sandboxRef, 'sandbox');
    checkRef(networkRef, 'network');
    checkOptions(o, CONNECT_OPTIONS, 'connect options');
    for (const a of o.aliases ?? []) objectName(a, 'aliases');
    if (o.ip !== undefined) canonicalAddress(o.ip, 'ip');
    if (o.ip6 !== undefined) canonicalAddress(o.ip6, 'ip6');
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
      // Only the namespace the sandbox was made with: its path may name another one by now.
      const ns = plan.add<NativeNetns>(netnsCalls.open({ path: s.netns.path }, s.netns.cookie !== undefined ? { cookie: s.netns.cookie } : {}));
      addEndpointCalls(plan, ns, e, network, this.ctx.state.owner);
      const [handle] = (await plan.run().catch(async (err: unknown) => {
        throw await publishConflict(this.ctx, err, portMappings(e));
      })) as [NativeNetns];
      Netns.fromHandle(handle).close();
      const next: SandboxRecord = { ...s, mode: 'bridge', endpoints: [...s.endpoints, e] };
      try {
        await pending.commit();
        await this.ctx.state.writeSandbox(next);
      } catch (err) {
        await detachNetwork(this.ctx, next, network).catch(() => undefined);
        await pending.restoreCursors().catch(() => undefined);
        throw err;
      }
      await this.writeFiles(next);
      return next;
    });
    this.ctx.dns?.updateSandbox(record);
    const made = record.endpoints.find((e) => e.networkId === network.id);
    if (made) this.ctx.events.endpoint('create', record, made, network);
    return sandboxInfo(record, await this.ctx.state.networks());
  }

  /** `docker network disconnect`. */
  async disconnect(sandboxRef: string, networkRef: string): Promise<SandboxInfo> {
    checkRef(sandboxRef, 'sandbox');
    checkRef(networkRef, 'network');
    const network = await this.networks.get(networkRef);
    const record = await this.ctx.state.locked(async () => {
      const s = await this.get(sandboxRef);
      if (!s.endpoints.some((e) => e.networkId === network.id))
        throw new NoSuchObjectError('endpoint', `${s.name} on ${network.name}`, `sandbox '${s.name}' is not connected to network '${network.name}'`);
      const next = await detachNetwork(this.ctx, s, network);
      await this.writeFiles(next);
      return next;
    });
    return sandboxInfo(record, await this.ctx.state.networks());
  }

  /**
   * Removes a sandbox: its ports, endpoints and (when ours) namespace; an
   * adopted namespace is released. With `force`, a sandbox that is already
   * gone is not an error (as a CNI DEL). A sandbox whose namespace others
   * joined stays hidden until the last of them is removed. With `background`,
   * an adopted namespace's veth pairs are taken down now and deleted later
   * (Engine.settle() and close() finish them); so are those of our own
   * namespace when something still holds it.
   */
  async remove(name: string, opts: { force?: boolean } & TeardownOptions = {}): Promise<void> {
    checkRef(name, 'sandbox');
    checkOptions(opts, { force: option.boolean, background: option.boolean }, 'remove options');
    const run = () => this.ctx.state.locked(async () => {
      // A record whose creation died half way is removed too (it is what `rm -f NAME` after a killed create finds).
      const { record: s, indexed } = await this.locate(name, { pending: true });
      if (!s) {
        if (opts.force) return;
        throw new NoSuchObjectError('sandbox', name);
      }
      if (s.pending !== undefined) {
        await destroySandbox(this.ctx, s, { checked: true });
        if (opts.force) return;
        throw new NoSuchObjectError('sandbox', name, 'its creation never finished; what it had made is removed now');
      }
      if (s.joiners && s.joiners.length > 0) {
        await this.ctx.state.hideSandbox({ ...s, removed: true });
        this.ctx.dns?.removeSandbox(s.id);
        this.ctx.events.emit({ type: 'sandbox', action: 'remove', sandbox: { id: s.id, name: s.name } });
        return;
      }
      await destroySandbox(this.ctx, s, { background: opts.background === true, indexed });
      if (s.joinedTo !== undefined) {
        const owner = await this.ctx.state.sandbox(s.joinedTo);
        if (!owner) return;
        const joiners = (owner.joiners ?? []).filter((j) => j !== s.id);
        if (owner.removed && joiners.length === 0) await destroySandbox(this.ctx, owner);
        else if (owner.removed) await this.ctx.state.hideSandbox({ ...owner, joiners });
        else await this.ctx.state.writeSandbox({ ...owner, joiners });
      }
    });
    await (this.ctx.warmPool ? this.ctx.warmPool.busy(run) : run());
  }

  /** What of the sandbox's kernel side is missing (veths, addresses, routes, port elements), in words; empty when nothing is. */
  async verify(ref: string): Promise<string[]> {
    const s = await this.get(ref);
    return verifySandbox(this.ctx, s, await this.ctx.state.networks());
  }

  async inspect(ref: string): Promise<SandboxInfo> {
    const s = await this.get(ref);
    return sandboxInfo(s, await this.ctx.state.networks());
  }

  async list(): Promise<SandboxInfo[]> {
    const [sandboxes, networks] = await Promise.all([this.ctx.state.sandboxes(), this.ctx.state.networks()]);
    return sandboxList(sandboxes, networks);
  }

  /** `docker port`. */
  async ports(ref: string): Promise<PublishedPort[]> {
    return (await this.get(ref)).endpoints.flatMap((e) => e.ports);
  }

  /**
   * Starts a process in the sandbox, as `docker exec` does: inside its
   * namespace with its hosts and resolv.conf (nsenter and a private mount
   * namespace, from util-linux). The options are Node's spawn's.
   */
  async spawn(ref: string, argv: readonly string[], opts: LaunchOptions = {}): Promise<ChildProcess> {
    return spawnIn(launchTarget(this.ctx, await this.get(ref)), argv, opts);
  }

  /** Runs a process in the sandbox to completion: its exit code (128+N when killed by signal N) and output. */
  async exec(ref: string, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return execIn(launchTarget(this.ctx, await this.get(ref)), argv, opts);
  }

  /** The sandbox's namespace, to run sockets or processes in; close it when done. Host mode gives the engine's own, opened anew. */
  async netns(name: string): Promise<Netns> {
    const s = await this.get(name);
    if (s.netns.kind !== 'host') return Netns.open({ path: s.netns.path }, s.netns.cookie !== undefined ? { cookie: s.netns.cookie } : {});
    // A handle of its own, so that closing it leaves the engine's open.
    return Netns.open({ path: `/proc/self/fd/${this.ctx.host.handle.fd}` });
  }
}

