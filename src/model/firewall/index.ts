// The firewall of the Docker model: pure builders of nf_tables changes that
// the network manager puts into the same plan as its rtnetlink calls, plus a
// reader for reconcile and the claim on the table.
//
//   FIREWALL_TABLE = 'netplumb'                       table inet netplumb, the only table we own
//   claimTable(ns: Netns, self?: number): Promise<{ owned: boolean; remade?: boolean }>
//       owner+persist claim (creates / takes over an orphan) and base layout; once per process
//   baseChanges(opts?: { owned?: boolean; current?: Ruleset }): Change[]
//       table, base chains, maps, fixed rules; idempotent given `current`
//   networkChanges(n: FirewallNetwork): Change[]       chains from-/to-/nat-<bridge> + map/set elements
//   removeNetworkChanges(n: FirewallNetwork): Change[] exact inverse, by name and key only
//   publishChanges(ports: PortMapping[], network?: { hostBinding?: string }): Change[]
//       one map element per host port, comment = endpoint; fails on a port already taken
//   unpublishChanges(ports, network?): Change[]        exact inverse
//   readFirewall(ruleset: Ruleset): { networks, networkComments, ports, owners }
//   joinTable / leaveNetwork / ownRebuild: the table shared by several state
//       roots (owned.ts): each registers in @owners, marks what it adds with
//       its tag, and changes only its own part
//   expandPorts(ports, network?): PortMapping[]        what publishChanges publishes, one per port
//
// Layout (inet, so one rule serves IPv4 and IPv6 where it can):
//   nat prerouting / output (dstnat): fib daddr type local → dnat through
//       @ports4 (addr . proto . port) then @any_ports4 (proto . port), and the
//       same for IPv6 through @ports6 / @any_ports6.
//       Loopback: output DNATs 127.0.0.0/8 (the host's `curl 127.0.0.1:8080`,
//       for ports on every address or on that loopback address, as Docker
//       does with its userland proxy off); prerouting never does (a packet
//       from outside addressed to 127.0.0.1 must not reach a port published
//       on the host's loopback). The network manager sets route_localnet on
//       each bridge, or the kernel drops the loopback-sourced packet and the
//       reply to 127.0.0.1 as martians. IPv6 ::1 is never DNATed: IPv6 has no
//       route_localnet, and the kernel refuses to send a ::1 source out of lo.
//   nat postrouting (srcnat): ip saddr 127.0.0.0/8 oifname @bridges masquerade
//       (the DNATed loopback connections above: the container answers the
//       bridge's address); ip saddr vmap @nat_src4 / ip6 saddr vmap @nat_src6
//       (interval maps: subnet → jump nat-<bridge>).
//   filter forward (policy accept: only our bridges are judged):
//       ct state established,related accept; iifname vmap @from_bridge;
//       oifname vmap @to_bridge.
//   from-<bridge>: internal → drop anything leaving the bridge.
//   to-<bridge>:   ct status dnat accept (published ports; not for internal),
//                  iifname <bridge> accept (icc), drop.
//   nat-<bridge>:  oifname != <bridge> masquerade (if masquerade),
//                  oifname <bridge> ct status dnat masquerade (hairpin).
//
// br_netfilter (on in the sandbox, per namespace, default 1): bridged packets
// reach the inet forward hook with iif and oif both the bridge itself (not the
// ports), as routed packets into and out of the bridge do, so the same
// iifname/oifname rules hold either way. Without br_netfilter, traffic between
// containers on one bridge never reaches forward: icc=false then needs the
// bridge ports' `isolated` flag (the manager's), everything else is routed and
// unaffected. The hairpin path needs the bridge port's hairpin flag when
// br_netfilter is on (the DNATed packet is bridged back out of its own port).
//
// IPv6: a network's IPv6 subnet gets its own @nat_src6 element, so outbound
// masquerade, isolation and DNAT work as for IPv4 (test/model/ipv6.test.ts).
// The model publishes a port on every address twice (@any_ports4 to the
// endpoint's IPv4 address, @any_ports6 to its IPv6 address, Docker's 0.0.0.0
// and ::); see portMappings in ../firewall-view.ts.
export { FIREWALL_TABLE } from './layout.js';
export { type FirewallNetwork, type PortMapping, type PortProtocol, expandPorts } from './inputs.js';
export { baseChanges, type BaseOptions } from './base.js';
export { networkChanges, removeNetworkChanges } from './network.js';
export { publishChanges, unpublishChanges } from './ports.js';
export { readFirewall, type FirewallState } from './read.js';
export { claimTable, type TableClaim } from './claim.js';
export { joinTable, leaveNetwork, ownRebuild, type TableOwner, type OwnPart, type OwnRebuild } from './owned.js';
