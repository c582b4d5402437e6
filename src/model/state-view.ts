// The networks and sandboxes as the state files record them, read without
// opening an Engine: no addon, no host namespace, no firewall check. For a
// process that only lists (`netplumb ps`, `network ls`) and must start fast;
// what it reads is what engine.networks.list() and engine.sandboxes.list() give.
import { DaemonRunningError } from '../core/errors.js';
import { runningDaemon } from '../store/daemon-info.js';
import { networkList, sandboxList, type NetworkInspect, type SandboxInfo } from './inspect.js';
import { ModelState, type Damage } from './state/state.js';

export interface StateView {
  networks: NetworkInspect[];
  sandboxes: SandboxInfo[];
  /** State files skipped because they are damaged (reconcile repairs or quarantines them). */
  damaged: Damage[];
}

export async function readStateView(o: { stateDir?: string } = {}): Promise<StateView> {
  const state = ModelState.fromOptions(o);
  // As Engine.open: while a daemon owns the state, its answers are the ones to read.
  const daemon = runningDaemon(state.dirs.runtime);
  if (daemon && daemon.pid !== process.pid) throw new DaemonRunningError(daemon.pid, daemon.sockets[0], state.dirs.runtime);
  const [networks, sandboxes] = await Promise.all([state.networks(), state.sandboxes()]);
  return { networks: networkList(networks, sandboxes), sandboxes: sandboxList(sandboxes, networks), damaged: [...state.damaged.values()] };
}
