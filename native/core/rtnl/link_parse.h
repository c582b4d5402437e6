// Decodes RTM_NEWLINK / RTM_DELLINK (from requests, dumps and events) into
// the link object the TS layer types as `Link`.
#pragma once

#include <linux/netlink.h>

#include "core/value.h"

namespace netplumb::rtnl {

Value parse_link(const nlmsghdr* h);

}  // namespace netplumb::rtnl
