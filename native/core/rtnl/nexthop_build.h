// RTM_NEWNEXTHOP / RTM_DELNEXTHOP requests: nexthop objects (kernel 5.3+),
// which routes name by id (RTA_NH_ID) instead of each carrying a gateway.
// Thousands of routes through their own gateways cost the kernel far more
// than the same routes through nexthop objects.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/netlink/message.h"
#include "core/rtnl/ip_text.h"
#include "core/value.h"

namespace netplumb::rtnl {

struct NexthopSpec {
  uint32_t id = 0;
  int family = 0;  // AF_INET / AF_INET6: the gateway's, or args.family (default IPv4)
  std::optional<IpBytes> gateway;
  int oif = 0;
  bool onlink = false;
  bool blackhole = false;

  std::string describe() const;  // "nexthop 7 via 10.0.0.1 dev ifindex 3 onlink"
};

// From {id, gateway?, dev|index, onlink?, blackhole?}; `oif` is resolved by the caller.
NexthopSpec nexthop_spec_from_args(const Value& args, int oif);
// From a parsed nexthop (parse_nexthop), to put back one that was deleted.
NexthopSpec nexthop_spec_from_parsed(const Value& nh);

nl::Message build_newnexthop(const NexthopSpec& s, uint16_t nlflags);
nl::Message build_delnexthop(uint32_t id);

}  // namespace netplumb::rtnl
