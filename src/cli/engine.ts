// Opening the Engine from the global options: --state-dir (or
// NETPLUMB_STATE_DIR) picks the state, and with it where sandboxes' hosts and
// resolv.conf go (the Engine's rule), so that a separate state directory leaves /etc alone.
import type { Command } from 'commander';
import { BusyError } from '../core/errors.js';
import { Engine } from '../model/index.js';

export interface GlobalOptions {
  stateDir?: string;
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
 * An engine for a command that changes or reads state and then exits. It
 * serves no DNS: a responder would die with this process anyway, and binding
 * the gateways' port 53 would collide with a `run` that is serving them.
 */
export async function withEngine<T>(cmd: Command, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await Engine.open({ ...engineOptions(cmd), dns: false });
  try {
    return await fn(engine);
  } finally {
    warnDamaged(engine);
    await engine.close();
  }
}

/** Damaged state files the command had to skip, on stderr: the command's own output stays what it was. */
function warnDamaged(engine: Engine): void {
  for (const d of engine.damagedState)
    process.stderr.write(`netplumb: warning: skipped ${d.file}: ${d.problem}\n  run \`netplumb reconcile\` to repair or quarantine it\n`);
}

/**
 * An engine that serves the user networks' DNS, and puts the firewall back
 * after a firewall reload, for as long as this process lives (`run`). When another process already serves them (a second `run`),
 * it goes on without, and says so.
 */
export async function openServingEngine(cmd: Command): Promise<Engine> {
  try {
    return await Engine.open({ ...engineOptions(cmd), dns: {}, guardFirewall: true });
  } catch (e) {
    if (!(e instanceof BusyError)) throw e;
    process.stderr.write('netplumb: another process serves DNS on these networks; names registered here will not resolve\n');
    return Engine.open({ ...engineOptions(cmd), dns: false });
  }
}
