// What every part of the model shares: the state, the namespace that holds
// the bridges and the firewall, and the engine's options.
import type { AddressPool } from '../addressing/ipam.js';
import type { PortRange } from '../addressing/port-spec.js';
import type { Netns } from '../netns.js';
import type { DnsService } from './dns-service.js';
import type { ModelEvents } from './events.js';
import type { LinkReaper } from './sandboxes/link-reaper.js';
import type { DriverCreateInput } from './networks/drivers/input.js';
import type { ModelState } from './state/state.js';
import type { NetworkRecord } from './state/records.js';
import type { WarmPool } from './sandboxes/pool.js';

/** What networks.create/remove ask of the engine's cluster agent (drivers/overlay) for overlay networks. */
export interface ClusterDriver {
  createNetwork(o: DriverCreateInput): Promise<NetworkRecord>;
  removeNetwork(n: NetworkRecord, opts: { force?: boolean }): Promise<void>;
}

export interface DefaultBridgeOptions {
  /** docker0's `bip` subnet; default 172.17.0.0/16 when free. */
  subnet?: string;
  gateway?: string;
  /** Default np0. */
  bridge?: string;
  mtu?: number;
}

export interface ModelContext {
  readonly state: ModelState;
  /** Where bridges, IP forwarding and the firewall live: the "host". */
  readonly host: Netns;
  /** Where sandboxes' named namespaces go (default /run/netns, as `ip netns`). */
  readonly netnsDir: string;
  /** /etc, under which netns/<name>/ gets each sandbox's hosts and resolv.conf. */
  readonly etcDir: string;
  readonly pools?: readonly AddressPool[];
  readonly defaultBridge: DefaultBridgeOptions;
  readonly ephemeralPorts?: PortRange;
  /** The engine owns table inet netplumb (see firewall-setup.ts). */
  readonly firewallOwner: boolean;
  /** Deletes the veth pairs of sandboxes removed in the background. */
  readonly reaper: LinkReaper;
  /** The DNS responders of user networks, when this engine serves DNS. */
  readonly dns?: DnsService;
  /** Where the parts report what they changed (engine.events()). */
  readonly events: ModelEvents;
  /** Overlay networks, when the engine was opened with the cluster option. */
  cluster?: ClusterDriver;
  /** Namespaces kept ready with their pair on a network's bridge (the Engine's `pool` option). */
  warmPool?: WarmPool;
}
