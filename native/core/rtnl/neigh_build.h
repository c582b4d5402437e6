// RTM_NEWNEIGH / RTM_DELNEIGH requests: ARP/NDP entries and bridge FDB entries.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include "core/netlink/message.h"
#include "core/rtnl/ip_text.h"
#include "core/value.h"

namespace netplumb::rtnl {

struct NeighSpec {
  int family = 0;  // AF_INET, AF_INET6 or AF_BRIDGE
  int ifindex = 0;
  std::optional<IpBytes> address;  // inet: the neighbour; bridge: NDA_DST, the remote VTEP
  Bytes lladdr;
  uint16_t state = 0;  // NUD_*
  uint8_t flags = 0;   // NTF_*
  std::optional<uint16_t> vlan;
  std::optional<uint32_t> vni;
  std::optional<uint16_t> port;

  std::string describe() const;
  bool is_bridge() const { return family == AF_BRIDGE; }
};

// From operation arguments; `for_delete` leaves out what a delete does not need.
NeighSpec neigh_spec_from_args(const Value& args, int ifindex, bool for_delete);
// From a parsed entry (parse_neighbour), to put back one that was deleted.
NeighSpec neigh_spec_from_parsed(const Value& entry);
// Whether a parsed entry is the one `s` names.
bool neigh_matches(const NeighSpec& s, const Value& entry);

nl::Message build_newneigh(const NeighSpec& s, uint16_t nlflags);
nl::Message build_delneigh(const NeighSpec& s);

}  // namespace netplumb::rtnl
