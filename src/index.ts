// Public API of netplumb: re-exports only. Every error class the package can
// throw comes from core/errors.js, exported whole.
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
