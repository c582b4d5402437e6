// Decoding RTM_NEWNEXTHOP / RTM_DELNEXTHOP, for dumps and events alike.
#pragma once

#include <linux/netlink.h>

#include "core/netlink/socket.h"
#include "core/value.h"

namespace netplumb::rtnl {

// {kind:'nexthop', action, id, family, gateway?, index?, onlink, blackhole, group?: number[]}
Value parse_nexthop(const nlmsghdr* h);

// Every nexthop object, or those leaving by `oif` when it is not 0.
Array dump_nexthops(nl::Socket& sock, int oif);

}  // namespace netplumb::rtnl
