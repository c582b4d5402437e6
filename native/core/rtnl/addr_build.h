// RTM_NEWADDR / RTM_DELADDR requests from an address description.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/netlink/message.h"
#include "core/rtnl/ip_text.h"
#include "core/value.h"

namespace netplumb::rtnl {

struct AddrSpec {
  int ifindex = 0;
  Prefix local;
  std::optional<IpBytes> peer;
  std::optional<IpBytes> broadcast;
  uint8_t scope = 0;
  std::string label;
  uint32_t flags = 0;  // IFA_F_*
  std::optional<uint32_t> valid_lifetime;      // seconds; 0xFFFFFFFF = forever
  std::optional<uint32_t> preferred_lifetime;

  std::string describe() const;  // "10.0.0.1/24 on ifindex 3"
};

// From operation arguments {address, broadcast?, peer?, scope?, label?, flags?,
// validLifetime?, preferredLifetime?}; throws InvalidArgument on bad input.
AddrSpec addr_spec_from_args(const Value& args, int ifindex);
// From a parsed address (parse_address), to put back one that was deleted.
AddrSpec addr_spec_from_parsed(const Value& addr);

nl::Message build_newaddr(const AddrSpec& s, uint16_t nlflags);
nl::Message build_deladdr(int ifindex, const Prefix& p);

}  // namespace netplumb::rtnl
