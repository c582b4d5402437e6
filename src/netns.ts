// The Netns users see: the kernel's namespace handle with every primitive
// attached (ns.links, ns.addresses, ns.routes, ns.neighbours, ns.sysctl and
// sockets opened inside it). The parts never import this face; it attaches
// them, so each part depends only on the handle below it.
import type { Server, Socket } from 'node:net';
import type { Socket as UdpSocket } from 'node:dgram';
import { Netns } from './kernel/netns.js';
import { listenTcp, connectTcp, bindUdp, type ListenOptions, type ConnectOptions, type UdpOptions } from './kernel/sockets.js';
import { Links } from './rtnl/link.js';
import { Addresses } from './rtnl/addr.js';
import { Routes } from './rtnl/route.js';
import { Neighbours } from './rtnl/neigh.js';
import { Nexthops } from './rtnl/nexthop.js';
import { Sysctl } from './rtnl/sysctl.js';
import { Qdiscs } from './rtnl/qdisc.js';

declare module './kernel/netns.js' {
  interface Netns {
    /** Interfaces of this namespace. */
    readonly links: Links;
    /** IPv4 and IPv6 addresses of this namespace. */
    readonly addresses: Addresses;
    /** Routes of this namespace. */
    readonly routes: Routes;
    /** ARP/NDP entries and bridge FDB entries of this namespace. */
    readonly neighbours: Neighbours;
    /** Nexthop objects of this namespace. */
    readonly nexthops: Nexthops;
    /** net.* sysctls of this namespace. */
    readonly sysctl: Sysctl;
    /** Root queueing disciplines (netem, tbf) of this namespace's interfaces. */
    readonly qdiscs: Qdiscs;
    /** A TCP server listening inside this namespace. */
    listenTcp(opts?: ListenOptions, onConnection?: (socket: Socket) => void): Promise<Server>;
    /** A TCP connection made from inside this namespace. */
    connectTcp(opts: ConnectOptions): Promise<Socket>;
    /** A UDP socket bound inside this namespace. */
    bindUdp(opts?: UdpOptions): Promise<UdpSocket>;
  }
}

const parts = { links: Links, addresses: Addresses, routes: Routes, neighbours: Neighbours, nexthops: Nexthops, sysctl: Sysctl, qdiscs: Qdiscs };
for (const [key, Part] of Object.entries(parts)) {
  Object.defineProperty(Netns.prototype, key, {
    get(this: Netns) {
      return new Part(this);
    },
    configurable: true,
  });
}
Object.assign(Netns.prototype, {
  listenTcp(this: Netns, opts: ListenOptions = {}, onConnection?: (socket: Socket) => void) {
    return listenTcp(this, opts, onConnection);
  },
  connectTcp(this: Netns, opts: ConnectOptions) {
    return connectTcp(this, opts);
  },
  bindUdp(this: Netns, opts: UdpOptions = {}) {
    return bindUdp(this, opts);
  },
});

export { Netns, netnsCalls, DEFAULT_NETNS_DIR, type CreateNetnsOptions, type NetnsTarget } from './kernel/netns.js';
