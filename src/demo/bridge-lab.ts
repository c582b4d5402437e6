// What the demo builds with the Engine, as a user of the library would: two
// user networks, three sandboxes (two with servers), one published port, and
// the wan with its DNS server that the networks' DNS responders forward to.
import type { Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, type NetworkInspect, type SandboxInfo } from '../model/index.js';
import { Netns } from '../netns.js';
import { serveHello } from './traffic.js';
import { WAN, Wan } from './wan.js';
import { WanDns } from './wan-dns.js';

export const LAB = {
  front: { name: 'front', subnet: '10.89.1.0/24' },
  back: { name: 'back', subnet: '10.89.2.0/24' },
  web: { name: 'web', network: 'front', publish: '8080:80', port: 80 },
  api: { name: 'api', network: 'front', port: 5000 },
  other: { name: 'other', network: 'back' },
  wanName: 'wan.example',
  wanPort: 80,
} as const;

/** One step of the build, for the report. */
export interface Built {
  what: string;
  detail: string;
  ms: number;
}

async function timed<T>(steps: Built[], what: string, fn: () => Promise<T>, detail: (v: T) => string): Promise<T> {
  const t0 = performance.now();
  const v = await fn();
  steps.push({ what, detail: detail(v), ms: performance.now() - t0 });
  return v;
}

function endpoint(s: SandboxInfo): string {
  return s.networks.map((n) => `${n.network} ${n.ipv4}/${n.prefixLength} (${n.ifname} ${n.mac}, host end ${n.hostIfname})`).join('; ');
}

export class BridgeLab {
  readonly steps: Built[] = [];
  readonly servers: Server[] = [];
  readonly namespaces: Netns[] = [];
  engine?: Engine;
  wan?: Wan;
  wanDns?: WanDns;
  networks: Record<'front' | 'back', NetworkInspect | undefined> = { front: undefined, back: undefined };
  sandboxes: Record<'web' | 'api' | 'other', SandboxInfo | undefined> = { web: undefined, api: undefined, other: undefined };
  private netnsOf = new Map<string, Netns>();

  constructor(
    readonly host: Netns,
    readonly stateDir: string,
  ) {}

  static async create(host = Netns.host()): Promise<BridgeLab> {
    return new BridgeLab(host, await mkdtemp(join(tmpdir(), 'netplumb-demo-')));
  }

  /** The namespace of a sandbox (opened once, closed at teardown). */
  ns(name: 'web' | 'api' | 'other'): Netns {
    const ns = this.netnsOf.get(name);
    if (!ns) throw new Error(`sandbox ${name} is not built`);
    return ns;
  }

  wanNs(): Netns {
    if (!this.wan) throw new Error('the wan is not built');
    return this.wan.ns;
  }

  async build(): Promise<void> {
    const s = this.steps;
    this.wan = await timed(s, 'wan', () => Wan.build(this.host), () =>
      `namespace ${WAN.netns}: eth0 ${WAN.address}/${WAN.prefix} ⇄ ${WAN.hostEnd} ${WAN.hostAddress}/${WAN.prefix} in the host; no route back to any container`);
    this.wanDns = await timed(s, 'wan DNS', () => WanDns.start((this.wan as Wan).ns, WAN.address, { [LAB.wanName]: WAN.address }), () =>
      `${WAN.address}:53 answers ${LAB.wanName} → ${WAN.address} (the upstream of the networks' DNS responders)`);
    const engine = await timed(s, 'engine', () =>
      Engine.open({ stateDir: this.stateDir, etcDir: join(this.stateDir, 'etc'), dns: { upstreams: [{ address: WAN.address, port: 53 }], timeoutMs: 1000 } }),
      () => `state in ${this.stateDir}`);
    this.engine = engine;
    for (const key of ['front', 'back'] as const) {
      const spec = LAB[key];
      this.networks[key] = await timed(s, `network ${spec.name}`, () => engine.networks.create({ name: spec.name, subnet: spec.subnet }), (n) => {
        const c = n.IPAM.Config[0];
        return `${c?.Subnet} gateway ${c?.Gateway}, bridge ${n.Options['com.docker.network.bridge.name']}, DNS responder on ${c?.Gateway}:53`;
      });
    }
    this.sandboxes.web = await timed(s, `sandbox ${LAB.web.name}`, () =>
      engine.sandboxes.create({ name: LAB.web.name, network: LAB.web.network, publish: [LAB.web.publish] }),
      (x) => `${endpoint(x)}; -p ${LAB.web.publish}`);
    this.sandboxes.api = await timed(s, `sandbox ${LAB.api.name}`, () => engine.sandboxes.create({ name: LAB.api.name, network: LAB.api.network }), endpoint);
    this.sandboxes.other = await timed(s, `sandbox ${LAB.other.name}`, () => engine.sandboxes.create({ name: LAB.other.name, network: LAB.other.network }), endpoint);
    for (const name of ['web', 'api', 'other'] as const) {
      const ns = await engine.sandboxes.netns(name);
      this.netnsOf.set(name, ns);
      this.namespaces.push(ns);
    }
    await timed(s, 'servers', async () => {
      this.servers.push(await serveHello(this.ns('web'), 'web', '0.0.0.0', LAB.web.port));
      this.servers.push(await serveHello(this.ns('api'), 'api', '0.0.0.0', LAB.api.port));
      this.servers.push(await serveHello((this.wan as Wan).ns, 'wan', WAN.address, LAB.wanPort));
    }, () => `web :${LAB.web.port}, api :${LAB.api.port}, wan ${WAN.address}:${LAB.wanPort} (each answers "<name> saw <source address>")`);
  }

  /** Removes everything in reverse order; each part is attempted even when an earlier one failed. Returns what failed. */
  async teardown(): Promise<string[]> {
    const failures: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown> | unknown): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        failures.push(`${what}: ${(e as Error).message}`);
      }
    };
    for (const srv of this.servers.splice(0)) srv.close();
    for (const ns of this.namespaces.splice(0)) ns.close();
    this.netnsOf.clear();
    const engine = this.engine;
    if (engine) {
      for (const name of ['web', 'api', 'other'] as const) await attempt(`sandbox ${name}`, () => engine.sandboxes.remove(name, { force: true }));
      for (const key of ['front', 'back'] as const) if (this.networks[key]) await attempt(`network ${key}`, () => engine.networks.remove(LAB[key].name));
      await attempt('engine', () => engine.close());
    }
    this.wanDns?.close();
    if (this.wan) await attempt('wan', () => this.wan?.teardown());
    await attempt('state directory', () => rm(this.stateDir, { recursive: true, force: true }));
    return failures;
  }
}
