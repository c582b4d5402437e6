// Decoding RTM_NEWNEIGH / RTM_DELNEIGH: ARP and NDP entries and bridge FDB
// entries, for dumps and events alike.
#pragma once

#include <linux/netlink.h>

#include "core/netlink/socket.h"
#include "core/value.h"

namespace netplumb::rtnl {

// {kind:'neighbour', action, family: 4|6|'bridge', index, address?, lladdr?,
//  state: string[], flags{...}, vlan?, vni?, port?, dst?, master?}
Value parse_neighbour(const nlmsghdr* h);

// NUD_* from 'permanent' | 'reachable' | 'stale' | 'noarp' | 'static' | 'dynamic' | number.
uint16_t neigh_state_value(const Value& v, const char* field);

// Entries of `af` (AF_UNSPEC: ARP and NDP; AF_BRIDGE: the FDB), optionally of one interface.
Array dump_neighbours(nl::Socket& sock, int af, int ifindex);

}  // namespace netplumb::rtnl
