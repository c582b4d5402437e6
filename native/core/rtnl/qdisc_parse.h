// Decoding RTM_NEWQDISC / RTM_DELQDISC, for dumps and events alike. The
// options of netem and tbf come back in the shape qdisc.replace takes, so a
// qdisc read back can be put back as it was.
#pragma once

#include <linux/netlink.h>

#include "core/netlink/socket.h"
#include "core/value.h"

namespace netplumb::rtnl {

// {kind:'qdisc', action, index, handle: "8001:", parent: "root" | "1:2",
//  type: "noqueue" | "netem" | ..., netem?: {...}, tbf?: {rate, burst, limit}}
Value parse_qdisc(const nlmsghdr* h);

// Every qdisc in the namespace, or those of one interface (ifindex > 0).
Array dump_qdiscs(nl::Socket& sock, int ifindex);

}  // namespace netplumb::rtnl
