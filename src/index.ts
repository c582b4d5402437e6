// Public API of netplumb: re-exports, and Engine.connect attached to the
// Engine (the model never imports its clients). Every error class the
// package can throw comes from core/errors.js, exported whole.
import { Engine } from './model/engine.js';
import { RemoteEngine, type EngineConnectOptions } from './client/remote-engine.js';

declare module './model/engine.js' {
  namespace Engine {
    /**
     * The engine of the netplumbd that listens on `socket` (default
     * NETPLUMB_HOST, else the daemon of the state root, else
     * /run/netplumb/netplumb.sock): the same networks, sandboxes, reconcile
     * and events as Engine.open, each a request to the daemon, with the same
     * error classes.
     */
    function connect(o?: EngineConnectOptions): Promise<RemoteEngine>;
  }
}
Object.assign(Engine, { connect: (o?: EngineConnectOptions) => RemoteEngine.connect(o) });

export * from './core/errors.js';
export { Netns, netnsCalls, DEFAULT_NETNS_DIR, type CreateNetnsOptions, type NetnsTarget } from './netns.js';
export { Plan, PlanRef } from './addon/plan.js';
export type { Call, NativeNetns } from './addon/native.js';
export { Sysctl, sysctlCalls, type SysctlValue } from './rtnl/sysctl.js';
export { listenTcp, connectTcp, bindUdp, type ListenOptions, type ConnectOptions, type UdpOptions } from './kernel/sockets.js';
export { EventStream, type OverrunEvent } from './kernel/events.js';
export * as validate from './core/validate.js';
export { Links, linkCalls, type LinkRef, type NetnsArg, type CommonLinkOptions, type VethPeerOptions, type AddVethOptions, type AddBridgeOptions, type AddDummyOptions, type AddVxlanOptions, type StackedLinkOptions, type AddMacvlanOptions, type AddIpvlanOptions, type AddVlanOptions, type AddLinkOptions, type LinkChanges, type ListLinksFilter } from './rtnl/link.js';
export type * from './addon/wire/link.js';
export * as nft from './nft/index.js';
export { Nftables, nftEvents, renderRule, type NftEvent } from './nft/index.js';
export { Addresses, addrCalls, type Address, type AddressFlags, type AddressScope, type Lifetime, type InterfaceSelector, type AddAddressOptions, type DeleteAddressOptions, type ListAddressOptions, type SettableAddressFlags } from './rtnl/addr.js';
export { Routes, routeCalls, type Route, type RouteScope, type RouteProtocol, type RouteType, type RouteTable, type RouteOptions, type DeleteRouteOptions, type ListRouteOptions } from './rtnl/route.js';
export { Neighbours, neighCalls, type Neighbour, type NeighbourFlags, type NeighbourStateName, type AddNeighbourOptions, type AddFdbOptions, type DeleteNeighbourOptions, type DeleteFdbOptions, type ListNeighbourOptions } from './rtnl/neigh.js';
export { Qdiscs, qdiscCalls, type NetemSettings, type RateLimitSettings, type Qdisc, type NetemOptions, type TbfOptions } from './rtnl/qdisc.js';
export { Nexthops, nexthopCalls, type Nexthop, type NexthopOptions } from './rtnl/nexthop.js';
export { rtnlCalls, rtnlChange } from './rtnl/apply.js';
export type { RtnlChange } from './addon/ops.js';
export { rtnlEvents, type RtnlEvent, type RtnlEventKind, type RtnlEventKinds } from './rtnl/events.js';
export { tcpProbe, type ProbeOptions, type ProbeResult } from './kernel/probe.js';
// Docker's networking model: networks, sandboxes, endpoints over a state directory.
export { Engine, Networks, Sandboxes, DEFAULT_NETWORK, describePort } from './model/index.js';
export type { ClusterOptions, ClusterStatus, NetworkDriver } from './model/index.js';
export type { EngineOptions, NetworkCreateOptions, SandboxCreateOptions, NetworkConnectOptions, NetworkMode, NetworkInspect, SandboxInfo, SandboxEndpointInfo, PublishedPort, NetworkRecord, SandboxRecord, EndpointRecord, SandboxMode, PortBinding, PortProtocol, HostPort, ReconcileReport, DnsOptions, DefaultBridgeOptions } from './model/index.js';
export * as firewall from './model/firewall/index.js';
export type { EngineApi, NetworksApi, SandboxesApi, ModelEvent, NetworkEvent, SandboxEvent, EndpointEvent, PortEvent, FirewallEvent, ObjectRef, EventSubscription, ExecOptions, ExecResult } from './model/index.js';
// The daemon's clients: Engine.connect gives the same interface over netplumbd's socket.
export { RemoteEngine, type EngineConnectOptions };
export type { TlsCredentials } from './client/transport.js';
export type { DaemonDescription } from './client/api.js';
// netplumb as a CNI plugin: one request ({ env, stdin }) to its answer ({ exitCode, stdout }).
export { runCni, type CniRequest, type CniResponse, type CniEngine } from './cni/index.js';
