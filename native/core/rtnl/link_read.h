// Reading links back from the kernel: one by index or name, or all of them.
#pragma once

#include <string>

#include "core/netlink/socket.h"
#include "core/value.h"

namespace netplumb::rtnl {

// The link as the kernel reports it; NetlinkError(ENODEV) when there is none.
// `index` 0 looks it up by `name`.
Value get_link(nl::Socket& sock, int index, const std::string& name);

// Every link of the namespace (dump, read again when interrupted).
Array list_links(nl::Socket& sock);

}  // namespace netplumb::rtnl
