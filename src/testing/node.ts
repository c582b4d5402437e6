// What every place in a lab offers a test — its host, its outside and each
// sandbox: processes started inside it (with its hosts and resolv.conf),
// fetch and TCP connections made from inside it with names resolved as it
// resolves them, servers and UDP sockets listening inside it.
import type { ChildProcess } from 'node:child_process';
import type dgram from 'node:dgram';
import type net from 'node:net';
import type { RequestInfo, Response } from 'undici';
import { collect, spawnIn, type ExecOptions, type ExecResult, type LaunchOptions, type LaunchTarget } from '../kernel/launch.js';
import { bindUdp, connectTcp, serveIn, type UdpOptions } from '../kernel/sockets.js';
import type { Netns } from '../netns.js';
import { NamespaceFetcher, type LabFetchInit } from './fetch.js';
import { NamespaceResolver } from './resolver.js';
import type { LabWorld } from './world.js';

export type { ExecOptions, ExecResult, LaunchOptions as SpawnOptions };

export abstract class LabNode {
  private readonly resolver: NamespaceResolver;
  private readonly fetcher: NamespaceFetcher;
  /** Sockets made here: each holds its namespace, so close() ends them before the lab is taken down. */
  private readonly sockets = new Set<net.Socket | dgram.Socket>();

  protected constructor(
    protected readonly world: LabWorld,
    /** The name tests know it by: the sandbox's, 'host' or 'outside'. */
    readonly name: string,
  ) {
    this.resolver = new NamespaceResolver(() => this.netns, () => this.launchTarget().etcDir ?? '/etc');
    this.fetcher = new NamespaceFetcher((host, port) => this.connectResolved(host, port));
    world.onClose(async () => {
      for (const socket of this.sockets) 'destroy' in socket ? socket.destroy() : socket.close();
      await this.fetcher.close();
    });
  }

  private hold<T extends net.Socket | dgram.Socket>(socket: T): T {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  }

  /** Its network namespace (the handle: ns.links, ns.addresses, sockets, ...). The lab closes it. */
  abstract get netns(): Netns;

  /** Its IPv4 address as others reach it. */
  abstract get address(): string;

  /** Where its processes run: its namespace file and its hosts/resolv.conf directory. */
  protected abstract launchTarget(): LaunchTarget;

  /**
   * Starts a process inside it, as Node's spawn (stdio, cwd, env): with its
   * hosts and resolv.conf, killed at lab.close() and when this process dies.
   */
  spawn(argv: readonly string[], opts: LaunchOptions = {}): ChildProcess {
    this.world.assertOpen();
    return this.world.track(spawnIn(this.launchTarget(), argv, { dieWithParent: true, ...opts }));
  }

  /** Runs a process inside it to completion: { code, signal, stdout, stderr } (a non-zero code is not an error). */
  exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.world.assertOpen();
    const { input, timeoutMs, ...launch } = opts;
    const child = this.spawn(argv, { ...launch, stdio: ['pipe', 'pipe', 'pipe'] });
    return collect(child, input, timeoutMs);
  }

  /** The addresses of `host` as a process inside it would get them (hosts file, then its nameservers). */
  resolve(host: string): Promise<string[]> {
    return this.resolver.resolve(host);
  }

  /** Node's fetch from inside it: the connection opened in its namespace, the name resolved by its resolver. */
  fetch(url: RequestInfo, init?: LabFetchInit): Promise<Response> {
    this.world.assertOpen();
    return this.fetcher.fetch(url, init);
  }

  /** Makes any net.Server or http.Server listen inside it, on every IPv4 address unless `address` is given. */
  serve<S extends net.Server>(server: S, port: number, address = '0.0.0.0'): Promise<S> {
    this.world.assertOpen();
    server.on('connection', (socket: net.Socket) => this.hold(socket));
    this.world.onClose(() => void server.close());
    return serveIn(this.netns, server, { port, address });
  }

  /** A TCP connection from inside it to host:port (a name is resolved by its resolver). */
  connect(port: number, host: string): Promise<net.Socket> {
    this.world.assertOpen();
    return this.connectResolved(host, port);
  }

  /**
   * Resolves once something accepts TCP connections on `port` (of `host`,
   * default its own address), tried from inside it: for a service started
   * with spawn(). Rejects after `timeoutMs` (default 10 s) with the last refusal.
   */
  async waitForPort(port: number, opts: { host?: string; timeoutMs?: number } = {}): Promise<void> {
    this.world.assertOpen();
    const host = opts.host ?? this.address;
    const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    for (;;) {
      try {
        (await connectTcp(this.netns, { host: (await this.resolve(host))[0] as string, port, timeoutMs: 1000 })).destroy();
        return;
      } catch (e) {
        if (Date.now() >= deadline) throw Object.assign(new Error(`nothing accepted connections on ${host}:${port} in ${this.name} within ${opts.timeoutMs ?? 10_000} ms: ${(e as Error).message}`), { cause: e });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** A UDP socket bound inside it. */
  async bindUdp(opts: UdpOptions = {}): Promise<dgram.Socket> {
    this.world.assertOpen();
    return this.hold(await bindUdp(this.netns, opts));
  }

  private async connectResolved(host: string, port: number): Promise<net.Socket> {
    const addresses = await this.resolve(host);
    let last: unknown;
    for (const address of addresses) {
      try {
        return this.hold(await connectTcp(this.netns, { host: address, port }));
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }
}
