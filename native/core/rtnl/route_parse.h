// Decoding RTM_NEWROUTE / RTM_DELROUTE, for route dumps and events alike,
// and the names routes use for their protocol, type, scope and table.
#pragma once

#include <linux/netlink.h>

#include <cstdint>

#include "core/netlink/socket.h"
#include "core/value.h"

namespace netplumb::rtnl {

// {kind:'route', action, family, destination, gateway?, index?, src?, metric?,
//  table, scope, protocol, type, onlink, mtu?, nhid?}
Value parse_route(const nlmsghdr* h);

Value route_protocol_name(uint8_t p);
uint8_t route_protocol_value(const Value& v, const char* field);
Value route_type_name(uint8_t t);
uint8_t route_type_value(const Value& v, const char* field);
Value route_scope_name(uint8_t s);
// 'main' | 'local' | 'default' | 1..2^32-1
uint32_t route_table_value(const Value& v, const char* field);

// Routes of family `af` (0 for IPv4 and IPv6) in `table` (0 for every table),
// optionally only through `oif`; cached clones are left out.
Array dump_routes(nl::Socket& sock, int af, uint32_t table, int oif);

}  // namespace netplumb::rtnl
