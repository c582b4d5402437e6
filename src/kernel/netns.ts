// The namespace handle: named namespaces compatible with `ip netns` (a bind
// mount under /run/netns), anonymous ones held only by a handle, and existing
// ones opened by name, path or pid; calls and plans run in it. The parts above
// (links, addresses, sockets, ...) are attached by the face in src/netns.ts,
// so this file never imports them.
import { exec, type ExecOptions } from '../addon/exec.js';
import { native, type Call, type NativeNetns, type TimedResults } from '../addon/native.js';
import { Plan } from '../addon/plan.js';
import { interfaceName, netnsName, integer } from '../core/validate.js';
import { ValidationError } from '../core/errors.js';
import { opCall, type ArgsOf, type OpCall } from '../addon/ops.js';

export const DEFAULT_NETNS_DIR = '/run/netns';

export interface CreateNetnsOptions {
  /** Name under `dir` (like `ip netns add NAME`); omit for an anonymous namespace held by the handle. */
  name?: string;
  /** Directory of named namespaces; default /run/netns. */
  dir?: string;
  /**
   * Bring the loopback interface up from inside the new namespace as it is
   * made (no extra call). Default true for Netns.create; in a plan's
   * netnsCalls.create, lo comes up only when this is true.
   */
  loopbackUp?: boolean;
}

export type NetnsTarget = string | { name: string; dir?: string } | { path: string } | { pid: number };

export class Netns implements AsyncDisposable {
  private constructor(
    /** The addon's handle; pass it where a call takes a namespace. */
    readonly handle: NativeNetns,
    /** The name under `dir`, for named namespaces. */
    readonly name: string | undefined,
    readonly dir: string,
    /** Whether this object created the namespace (disposal then deletes it). */
    readonly owned: boolean,
  ) {}

  /** The namespace this process runs in. */
  static host(): Netns {
    return new Netns(native.processNetns(), undefined, DEFAULT_NETNS_DIR, false);
  }

  /** Wraps a handle that a plan returned (from a netns.create or netns.open call). */
  static fromHandle(handle: NativeNetns, opts: { name?: string; dir?: string; owned?: boolean } = {}): Netns {
    return new Netns(handle, opts.name, opts.dir ?? DEFAULT_NETNS_DIR, opts.owned ?? false);
  }

  /** Creates a namespace, with lo up unless told otherwise, in one trip to the kernel. */
  static async create(opts: CreateNetnsOptions = {}): Promise<Netns> {
    const dir = opts.dir ?? DEFAULT_NETNS_DIR;
    const plan = new Plan(null);
    plan.add<NativeNetns>(netnsCalls.create({ ...opts, loopbackUp: opts.loopbackUp !== false }));
    const [handle] = (await plan.run()) as [NativeNetns];
    return new Netns(handle, opts.name, dir, true);
  }

  /**
   * Opens an existing namespace by name (under /run/netns), by path, or by a
   * process id. With `cookie`, only the namespace with that cookie: another
   * one found there is refused with NotFoundError.
   */
  static async open(target: NetnsTarget, opts: { cookie?: string } = {}): Promise<Netns> {
    const call = netnsCalls.open(target, opts);
    const [handle] = (await exec(null, [call])) as [NativeNetns];
    return Netns.opened(handle, call.args);
  }

  /** open() and cookie() in one trip to the addon (adopting a runtime's namespace needs both). */
  static async openWithCookie(target: NetnsTarget): Promise<{ ns: Netns; cookie: string }> {
    const call = netnsCalls.open(target);
    const [handle, cookie] = (await exec(null, [call, { ...netnsCalls.cookie(), netns: { $result: 0 } }])) as [NativeNetns, string];
    return { ns: Netns.opened(handle, call.args), cookie };
  }

  /** A handle that open's call returned, named as its arguments named it; not ours to delete. */
  private static opened(handle: NativeNetns, args: Record<string, unknown>): Netns {
    return new Netns(handle, typeof args.name === 'string' ? args.name : undefined, (args.dir as string | undefined) ?? DEFAULT_NETNS_DIR, false);
  }

  /** The namespace's identity: SO_NETNS_COOKIE of a socket in it, unique per boot (an inode number is not: a later namespace may get it again). */
  async cookie(): Promise<string> {
    const [c] = (await this.exec([netnsCalls.cookie()])) as [string];
    return c;
  }

  /** Names of the namespaces under `dir` (like `ip netns list`). */
  static async list(dir = DEFAULT_NETNS_DIR): Promise<string[]> {
    const [names] = (await exec(null, [opCall('netns.list', { dir })])) as [string[]];
    return names.sort();
  }

  /** Deletes the named namespace's mount (like `ip netns delete`). Processes inside keep it alive. */
  static async remove(name: string, opts: { dir?: string; ifExists?: boolean } = {}): Promise<boolean> {
    const [removed] = (await exec(null, [netnsCalls.remove(name, opts)])) as [boolean];
    return removed;
  }

  /** A plan bound to this namespace: many calls, one trip, all or nothing. */
  plan(): Plan {
    return new Plan(this.handle);
  }

  /** Runs calls in this namespace in one trip. */
  exec(calls: Call[]): Promise<unknown[]>;
  /** With `{ timings: true }`: `{ results, timings }`, each call's ms on the worker thread. */
  exec(calls: Call[], options: { timings: true }): Promise<TimedResults>;
  exec(calls: Call[], options: ExecOptions = {}): Promise<unknown[] | TimedResults> {
    return exec(this.handle, calls, options);
  }

  get closed(): boolean {
    return this.handle.closed;
  }

  /** Releases the handle (the namespace itself lives on while named or in use). */
  close(): void {
    this.handle.close();
  }

  /** Closes the handle and, for a named namespace, removes its mount. */
  async delete(): Promise<void> {
    this.close();
    if (this.name !== undefined) await Netns.remove(this.name, { dir: this.dir, ifExists: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.owned) await this.delete();
    else this.close();
  }
}

function cookieText(v: unknown): string {
  if (typeof v !== 'string' || !/^[1-9][0-9]{0,19}$/.test(v)) throw new ValidationError('cookie', 'cookie must be the decimal text netnsCalls.cookie gives');
  return v;
}

/** Call builders for namespaces, for use in plans. */
export const netnsCalls = {
  create(opts: CreateNetnsOptions = {}): Call {
    const args: Record<string, unknown> = {};
    if (opts.name !== undefined) args.name = netnsName(opts.name);
    if (opts.dir !== undefined) args.dir = opts.dir;
    if (opts.loopbackUp === true) args.loopbackUp = true;
    return opCall('netns.create', args);
  },
  /** Deletes a named namespace's mount; the kernel deletes the namespace once nobody holds it. */
  remove(name: string, opts: { dir?: string; ifExists?: boolean } = {}): Call {
    return opCall('netns.delete', { name: netnsName(name), dir: opts.dir, ifExists: opts.ifExists ?? false });
  },
  /**
   * Of these veth host ends (in the call's namespace), takes down or deletes
   * those whose other end's namespace someone still holds, asked once without
   * waiting; the result names them. A namespace nobody holds takes its pairs
   * along in the kernel's own cleanup.
   */
  heldPeers(peers: readonly string[], action: 'down' | 'delete'): Call {
    return opCall('netns.heldPeers', { peers: peers.map((p) => interfaceName(p, 'peers')), action });
  },
  /**
   * Opens an existing namespace by name, path or pid; the result is a handle
   * later calls can target. With `cookie` (see netnsCalls.cookie) a namespace
   * that is not the one with that cookie is refused with NotFoundError: the
   * path or pid now names another namespace.
   */
  open(target: NetnsTarget, opts: { cookie?: string } = {}): OpCall<'netns.open'> {
    const args = netnsCalls.openArgs(target);
    if (opts.cookie !== undefined) args.cookie = cookieText(opts.cookie);
    return opCall('netns.open', args);
  },
  /** The namespace's cookie (SO_NETNS_COOKIE, decimal): unique per boot, unlike its inode number. */
  cookie(): OpCall<'netns.cookie'> {
    return opCall('netns.cookie', {});
  },
  openArgs(target: NetnsTarget): ArgsOf<'netns.open'> {
    if (typeof target === 'string') return { name: netnsName(target) };
    if ('name' in target) return { name: netnsName(target.name), dir: target.dir };
    if ('path' in target) {
      if (typeof target.path !== 'string' || target.path === '' || target.path.includes('\0'))
        throw new ValidationError('path', 'path must name a namespace file such as /proc/1234/ns/net (and hold no NUL)');
      return { path: target.path };
    }
    if ('pid' in target) return { pid: integer(target.pid, 'pid', 1, 2 ** 31 - 1) };
    throw new ValidationError('target', 'open a namespace by name, { path } or { pid }');
  },
};
