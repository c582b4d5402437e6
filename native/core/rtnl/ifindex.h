// Interface lookups shared by every rtnetlink operation.
#pragma once

#include <string>

#include "core/netlink/socket.h"
#include "core/value.h"

namespace netplumb::rtnl {

// The ifindex named by args[index_key] (an integer) or args[name_key] (an
// interface name, looked up with RTM_GETLINK on `sock`). Throws
// InvalidArgument when neither is given, NetlinkError(ENODEV) when the name
// is unknown in the namespace.
int ifindex_of(nl::Socket& sock, const Value& args, const char* name_key = "dev",
               const char* index_key = "index");

// RTM_GETLINK by name; returns 0 when there is no such interface.
int lookup_ifindex(nl::Socket& sock, const std::string& name);

// Checks a Linux interface name (1-15 bytes; no '/', ':', whitespace, NUL).
const std::string& check_ifname(const std::string& name, const char* field);

}  // namespace netplumb::rtnl
