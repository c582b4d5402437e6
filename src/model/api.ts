// What an engine offers, whether it runs in this process (Engine.open) or in
// netplumbd behind a socket (Engine.connect): code written against these
// types switches between the two with one line.
import type { EventSubscription, ModelEvent } from './events.js';
import type { HostGraph } from './graph/types.js';
import type { Networks } from './networks/networks.js';
import type { ReconcileReport } from './reconcile/index.js';
import type { Sandboxes } from './sandboxes/sandboxes.js';

export type NetworksApi = Pick<Networks, 'create' | 'list' | 'inspect' | 'remove' | 'prune'>;
export type SandboxesApi = Pick<Sandboxes, 'create' | 'connect' | 'disconnect' | 'remove' | 'inspect' | 'list' | 'ports' | 'exec' | 'spawn' | 'netns'>;

export interface EngineApi extends AsyncDisposable {
  readonly networks: NetworksApi;
  readonly sandboxes: SandboxesApi;
  /** Where sandboxes' hosts and resolv.conf are written: <etcDir>/netns/<name>/. */
  readonly etcDir: string;
  /** The state directories in use. */
  readonly stateDirs: { runtime: string; config: string };
  /** Makes kernel and state agree after a restart or crash. */
  reconcile(): Promise<ReconcileReport>;
  /** The host's networks, sandboxes, veth pairs and published ports as the kernel and the state have them, with their drift. */
  graph(): Promise<HostGraph>;
  /** Every change from now on: networks, sandboxes, endpoints, ports, firewall repairs. */
  events(): EventSubscription<ModelEvent>;
  /** Lets go of what this handle holds; networks and sandboxes stay. */
  close(): Promise<void>;
}
