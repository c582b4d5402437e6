// RTM_NEWROUTE / RTM_DELROUTE requests from a route description.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/netlink/message.h"
#include "core/rtnl/ip_text.h"
#include "core/value.h"

namespace netplumb::rtnl {

struct RouteSpec {
  int family = 0;  // AF_INET / AF_INET6
  Prefix dst;      // length 0: default
  std::optional<IpBytes> gateway;
  std::optional<IpBytes> prefsrc;
  int oif = 0;
  std::optional<uint32_t> metric;
  uint32_t table = 254;  // RT_TABLE_MAIN
  uint8_t scope = 0;
  uint8_t protocol = 3;  // RTPROT_BOOT, as iproute2
  uint8_t type = 1;      // RTN_UNICAST
  bool onlink = false;
  std::optional<uint32_t> mtu;
  // A nexthop object (RTA_NH_ID) instead of gateway and device.
  std::optional<uint32_t> nhid;

  std::string describe() const;  // "10.0.0.0/24 via 10.0.0.1 table 100"
  // The metric the kernel stores when none is given (IPv6 routes get 1024).
  uint32_t effective_metric() const;
};

// From operation arguments. `oif` is resolved by the caller (0 when no dev).
// For a delete, scope/type/protocol stay "any" unless given.
RouteSpec route_spec_from_args(const Value& args, int oif, bool for_delete);
// From a parsed route (parse_route), to put back one that was changed.
RouteSpec route_spec_from_parsed(const Value& route);

nl::Message build_newroute(const RouteSpec& s, uint16_t nlflags);
nl::Message build_delroute(const RouteSpec& s);

}  // namespace netplumb::rtnl
