// The engine a command works with. When a netplumbd owns the state (its
// claim in the runtime directory says where it listens) or --host /
// NETPLUMB_HOST names one, the command goes through it and loads nothing but
// an HTTP client; otherwise it opens the Engine in this process, as before
// there was a daemon. --state-dir (or NETPLUMB_STATE_DIR) picks the state, and
// with it where sandboxes' hosts and resolv.conf go (the Engine's rule), so
// that a separate state directory leaves /etc alone.
import type { Command } from 'commander';
import { BusyError } from '../core/errors.js';
import type { EngineApi } from '../model/api.js';
import type { NetworkInspect, SandboxInfo } from '../model/inspect.js';
import { stateDirs } from '../store/dirs.js';
import { runningDaemon } from '../store/daemon-info.js';

export interface GlobalOptions {
  stateDir?: string;
  host?: string;
}

export function stateDirOf(cmd: Command): string | undefined {
  const o = cmd.optsWithGlobals<GlobalOptions>();
  return o.stateDir ?? process.env.NETPLUMB_STATE_DIR ?? undefined;
}

function engineOptions(cmd: Command): { stateDir?: string } {
  const stateDir = stateDirOf(cmd);
  return stateDir === undefined ? {} : { stateDir };
}

/**
 * The daemon to go through: the one named by --host (which must answer at
 * once), else the one that owns the state root (which may still be starting:
 * it is given a few seconds), else none.
 */
export function daemonSocket(cmd: Command): { socket: string; startTimeoutMs: number } | undefined {
  const { host } = cmd.optsWithGlobals<GlobalOptions>();
  if (host) return { socket: host, startTimeoutMs: 0 };
  const stateDir = stateDirOf(cmd);
  const env = stateDir === undefined ? process.env : { ...process.env, NETPLUMB_STATE_DIR: stateDir };
  const socket = runningDaemon(stateDirs({}, env).runtime)?.sockets.find((s) => s.startsWith('unix://'));
  return socket === undefined ? undefined : { socket, startTimeoutMs: 10_000 };
}

/** The daemon's client, loaded only when a daemon is there. */
async function remote(o: { socket: string; startTimeoutMs: number; probe?: boolean }): Promise<EngineApi> {
  const { RemoteEngine } = await import('../client/remote-engine.js');
  return RemoteEngine.connect(o);
}

async function inProcess(cmd: Command, serving: boolean): Promise<EngineApi> {
  const { Engine } = await import('../model/engine.js');
  if (!serving) return Engine.open({ ...engineOptions(cmd), dns: false });
  try {
    return await Engine.open({ ...engineOptions(cmd), dns: {}, guardFirewall: true });
  } catch (e) {
    if (!(e instanceof BusyError)) throw e;
    process.stderr.write('netplumb: another process serves DNS on these networks; names registered here will not resolve\n');
    return Engine.open({ ...engineOptions(cmd), dns: false });
  }
}

/**
 * An engine for a command that changes or reads state and then exits. In
 * this process it serves no DNS: a responder would die with this process
 * anyway, and binding the gateways' port 53 would collide with a `run` that
 * is serving them.
 */
export async function withEngine<T>(cmd: Command, fn: (engine: EngineApi) => Promise<T>): Promise<T> {
  const daemon = daemonSocket(cmd);
  // One request per command: no probe first (the command's own request proves the daemon answers).
  const engine = daemon !== undefined ? await remote({ ...daemon, probe: false }) : await inProcess(cmd, false);
  try {
    return await fn(engine);
  } finally {
    warnDamaged(engine);
    await engine.close();
  }
}

/** What a listing command reads: through the daemon, or the state files without an Engine (see model/state-view.ts). */
export interface Listing {
  networks: { list(): Promise<NetworkInspect[]> };
  sandboxes: { list(): Promise<SandboxInfo[]> };
}

/** Like withEngine for commands that only list: in process it opens no Engine (no addon, no firewall check), so it starts fast. */
export async function withListing<T>(cmd: Command, fn: (l: Listing) => Promise<T>): Promise<T> {
  const daemon = daemonSocket(cmd);
  if (daemon !== undefined) return withEngine(cmd, fn);
  const { readStateView } = await import('../model/state-view.js');
  const view = await readStateView(engineOptions(cmd));
  try {
    return await fn({ networks: { list: async () => view.networks }, sandboxes: { list: async () => view.sandboxes } });
  } finally {
    warnDamaged({ damagedState: view.damaged });
  }
}

/** Damaged state files an in-process engine had to skip, on stderr: the command's own output stays what it was. */
function warnDamaged(engine: object): void {
  const damaged = (engine as { damagedState?: readonly { file: string; problem: string }[] }).damagedState ?? [];
  for (const d of damaged)
    process.stderr.write(`netplumb: warning: skipped ${d.file}: ${d.problem}\n  run \`netplumb reconcile\` to repair or quarantine it\n`);
}

/**
 * An engine for `run`: through the daemon, which serves the networks' DNS;
 * else in this process, serving DNS and guarding the firewall for as long as
 * it lives. When another process already serves DNS (a second `run`), it goes
 * on without, and says so.
 */
export async function openServingEngine(cmd: Command): Promise<EngineApi> {
  const daemon = daemonSocket(cmd);
  return daemon !== undefined ? remote(daemon) : inProcess(cmd, true);
}
