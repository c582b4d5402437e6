// Decoding RTM_NEWADDR / RTM_DELADDR, for address dumps and events alike.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <string>

#include "core/netlink/socket.h"
#include "core/value.h"

namespace netplumb::rtnl {

// {kind:'address', action, family, index, address, prefixLength, cidr, scope,
//  label?, flags{...}, local?, peer?, broadcast?, validLifetime?, preferredLifetime?}
Value parse_address(const nlmsghdr* h);

// Scope names as iproute2 prints them; a number when unnamed.
Value scope_name(uint8_t scope);
// 'global' | 'site' | 'link' | 'host' | 'nowhere' | 'universe' | number → RT_SCOPE_*.
uint8_t scope_value(const Value& v, const char* field);

// The addresses in the namespace, optionally only of one family (AF_*, 0 for
// both) and one interface (0 for all). The kernel filters when it checks
// dumps strictly; the filter is applied again here for kernels that do not.
Array dump_addresses(nl::Socket& sock, int af, int ifindex);

}  // namespace netplumb::rtnl
