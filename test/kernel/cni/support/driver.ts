// A CNI runtime's side of the protocol, following libcni's algorithm
// (containernetworking/cni libcni/api.go): plugins found on CNI_PATH and
// exec'd with the config on stdin and CNI_* in the environment; the version
// negotiated (the highest of the list's cniVersion/cniVersions that every
// plugin's VERSION lists); capability arguments put in runtimeConfig for the
// plugins that declare them; prevResult through the chain on ADD; the final
// result cached per (network, container, interface) and given to CHECK and
// to DEL, which runs the chain in reverse; GC deletes cached attachments that
// are not valid, then (1.1.0) sends GC with cni.dev/valid-attachments;
// STATUS (1.1.0) asks each plugin.
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';

export type Json = Record<string, unknown>;

export interface PluginConf extends Json {
  type: string;
  capabilities?: Record<string, boolean>;
}

export interface Conflist {
  cniVersion: string;
  cniVersions?: string[];
  name: string;
  disableCheck?: boolean;
  disableGC?: boolean;
  plugins: PluginConf[];
}

export interface RuntimeConf {
  containerId: string;
  netns: string;
  ifname: string;
  /** CNI_ARGS pairs. */
  args?: [string, string][];
  /** Capability arguments (portMappings, ips, mac, bandwidth, ...). */
  capabilityArgs?: Json;
}

export interface Exec {
  exitCode: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A plugin's error result, as the runtime gets it. */
export class PluginError extends Error {
  constructor(
    readonly plugin: string,
    readonly command: string,
    readonly exitCode: number,
    readonly code: number | undefined,
    readonly msg: string,
    readonly details: string | undefined,
    readonly stdout: string,
  ) {
    super(`plugin ${plugin} failed (${command}): code ${code}: ${msg}${details ? `: ${details}` : ''}`);
  }
}

interface Cached {
  result: Json;
  rt: RuntimeConf;
}

const compare = (a: string, b: string): number => {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

export class CniDriver {
  /** Every exec, for tests that look at what was sent. */
  readonly log: { plugin: string; command: string; stdin: Json; env: Record<string, string>; exec: Exec }[] = [];

  constructor(
    readonly path: string[],
    readonly cacheDir: string,
    /** More environment for every plugin (NETPLUMB_HOST, ...). */
    readonly env: Record<string, string> = {},
  ) {}

  private find(type: string): string {
    for (const dir of this.path) if (existsSync(join(dir, type))) return join(dir, type);
    throw new Error(`failed to find plugin "${type}" in path [${this.path.join(' ')}]`);
  }

  /** Runs one plugin as a runtime does (no shell, nothing but these variables and PATH). */
  exec(type: string, command: string, stdin: Json, rt?: Partial<RuntimeConf>, extraEnv: Record<string, string> = {}): Promise<Exec> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_PATH: this.path.join(':'),
      ...this.env,
      ...extraEnv,
    };
    if (rt?.containerId !== undefined) env.CNI_CONTAINERID = rt.containerId;
    if (rt?.netns !== undefined) env.CNI_NETNS = rt.netns;
    if (rt?.ifname !== undefined) env.CNI_IFNAME = rt.ifname;
    if (rt?.args?.length) env.CNI_ARGS = rt.args.map(([k, v]) => `${k}=${v}`).join(';');
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawn(this.find(type), [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => {
        const exec = { exitCode: code ?? -1, stdout, stderr, ms: performance.now() - t0 };
        this.log.push({ plugin: type, command, stdin, env, exec });
        resolve(exec);
      });
      // A plugin may exit without reading stdin (as libcni's exec, a runtime does not care).
      child.stdin.on('error', () => undefined);
      child.stdin.end(JSON.stringify(stdin));
    });
  }

  private async run(type: string, command: string, stdin: Json, rt?: Partial<RuntimeConf>): Promise<Json | undefined> {
    const r = await this.exec(type, command, stdin, rt);
    if (r.exitCode !== 0) {
      let e: Json = {};
      try {
        e = JSON.parse(r.stdout) as Json;
      } catch {
        /* not an error result: keep the raw output */
      }
      throw new PluginError(type, command, r.exitCode, e.code as number | undefined, (e.msg as string | undefined) ?? r.stdout + r.stderr, e.details as string | undefined, r.stdout);
    }
    return r.stdout.trim() ? (JSON.parse(r.stdout) as Json) : undefined;
  }

  async version(type: string): Promise<{ cniVersion: string; supportedVersions: string[] }> {
    return (await this.run(type, 'VERSION', { cniVersion: '1.1.0' })) as { cniVersion: string; supportedVersions: string[] };
  }

  /** The highest version of the list that every plugin supports. */
  async negotiate(list: Conflist): Promise<string> {
    const offered = [...new Set([list.cniVersion, ...(list.cniVersions ?? [])])].sort(compare).reverse();
    const supported = await Promise.all([...new Set(list.plugins.map((p) => p.type))].map(async (t) => (await this.version(t)).supportedVersions));
    const v = offered.find((o) => supported.every((s) => s.includes(o)));
    if (!v) throw new Error(`no version of [${offered.join(', ')}] is supported by every plugin of ${list.name}`);
    return v;
  }

  /** libcni's buildOneConfig + injectRuntimeConfig. */
  private request(list: Conflist, version: string, plugin: PluginConf, prev: Json | undefined, rt: RuntimeConf | undefined): Json {
    const { capabilities, ...rest } = plugin;
    const conf: Json = { ...rest, name: list.name, cniVersion: version };
    if (prev) conf.prevResult = prev;
    const rc: Json = {};
    for (const [cap, on] of Object.entries(capabilities ?? {})) if (on && rt?.capabilityArgs?.[cap] !== undefined) rc[cap] = rt.capabilityArgs[cap];
    if (Object.keys(rc).length > 0) conf.runtimeConfig = rc;
    return conf;
  }

  private cacheFile(list: Conflist, rt: Pick<RuntimeConf, 'containerId' | 'ifname'>): string {
    return join(this.cacheDir, `${list.name}-${rt.containerId}-${rt.ifname}.json`);
  }

  async cached(list: Conflist, rt: Pick<RuntimeConf, 'containerId' | 'ifname'>): Promise<Cached | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.cacheFile(list, rt), 'utf8')) as Cached;
    } catch {
      return undefined;
    }
  }

  async add(list: Conflist, rt: RuntimeConf): Promise<Json> {
    const version = await this.negotiate(list);
    let result: Json | undefined;
    for (const p of list.plugins) result = await this.run(p.type, 'ADD', this.request(list, version, p, result, rt), rt);
    await fs.mkdir(this.cacheDir, { recursive: true });
    await fs.writeFile(this.cacheFile(list, rt), JSON.stringify({ result, rt }));
    return result as Json;
  }

  async check(list: Conflist, rt: RuntimeConf): Promise<void> {
    const version = await this.negotiate(list);
    if (list.disableCheck) return;
    const c = await this.cached(list, rt);
    if (!c) throw new Error(`no cached result for ${rt.containerId}/${rt.ifname} on ${list.name}`);
    for (const p of list.plugins) await this.run(p.type, 'CHECK', this.request(list, version, p, c.result, rt), rt);
  }

  async del(list: Conflist, rt: RuntimeConf): Promise<void> {
    const version = await this.negotiate(list);
    const c = await this.cached(list, rt);
    for (const p of [...list.plugins].reverse()) await this.run(p.type, 'DEL', this.request(list, version, p, c?.result, rt), rt);
    await fs.rm(this.cacheFile(list, rt), { force: true });
  }

  async gc(list: Conflist, valid: { containerID: string; ifname: string }[]): Promise<void> {
    if (list.disableGC) return;
    const version = await this.negotiate(list);
    const errors: Error[] = [];
    const keep = new Set(valid.map((v) => `${v.containerID}/${v.ifname}`));
    for (const f of await fs.readdir(this.cacheDir).catch(() => [])) {
      if (!f.startsWith(`${list.name}-`)) continue;
      const c = JSON.parse(await fs.readFile(join(this.cacheDir, f), 'utf8')) as Cached;
      if (keep.has(`${c.rt.containerId}/${c.rt.ifname}`)) continue;
      await this.del(list, c.rt).catch((e: Error) => errors.push(e));
    }
    if (compare(version, '1.1.0') >= 0)
      for (const p of list.plugins) {
        const { capabilities: _c, ...rest } = p;
        await this.run(p.type, 'GC', { ...rest, name: list.name, cniVersion: version, 'cni.dev/valid-attachments': valid }).catch((e: Error) => errors.push(e));
      }
    if (errors.length > 0) throw errors[0];
  }

  async status(list: Conflist): Promise<void> {
    const version = await this.negotiate(list);
    if (compare(version, '1.1.0') < 0) return;
    for (const p of list.plugins) {
      const { capabilities: _c, ...rest } = p;
      await this.run(p.type, 'STATUS', { ...rest, name: list.name, cniVersion: version });
    }
  }
}
