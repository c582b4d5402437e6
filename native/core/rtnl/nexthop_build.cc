#include "core/rtnl/nexthop_build.h"

#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "core/errors.h"

namespace netplumb::rtnl {

std::string NexthopSpec::describe() const {
  std::string d = "nexthop " + std::to_string(id);
  if (blackhole) return d + " blackhole";
  if (gateway) d += " via " + format_ip(gateway->family, gateway->bytes);
  if (oif) d += " dev ifindex " + std::to_string(oif);
  if (onlink) d += " onlink";
  return d;
}

NexthopSpec nexthop_spec_from_args(const Value& args, int oif) {
  NexthopSpec s;
  int64_t id = args.integer("id");
  if (id < 1 || id > 0xFFFFFFFFLL) throw InvalidArgument("id", "a nexthop id must be 1-4294967295");
  s.id = static_cast<uint32_t>(id);
  s.blackhole = args.bool_or("blackhole", false);
  // The kernel wants a family even for a blackhole (only a group may go without).
  s.family = args.has("family") ? af_of_family_number(args.integer("family"), "family") : AF_INET;
  if (s.blackhole) {
    if (args.has("gateway") || oif) throw InvalidArgument("blackhole", "a blackhole nexthop takes neither gateway nor dev");
    return s;
  }
  if (!oif) throw InvalidArgument("dev", "a nexthop needs dev (or index): the device it leaves by");
  s.oif = oif;
  if (args.has("gateway")) {
    s.gateway = parse_ip(args.str("gateway"), "gateway");
    s.family = s.gateway->family;
  }
  s.onlink = args.bool_or("onlink", false);
  if (s.onlink && !s.gateway) throw InvalidArgument("onlink", "onlink needs a gateway");
  return s;
}

NexthopSpec nexthop_spec_from_parsed(const Value& nh) {
  NexthopSpec s;
  s.id = static_cast<uint32_t>(nh.integer("id"));
  s.blackhole = nh.bool_or("blackhole", false);
  s.family = nh["family"].is_int() ? af_of_family_number(nh.integer("family"), "family") : AF_INET;
  if (s.blackhole) return s;
  s.oif = static_cast<int>(nh.int_or("index", 0));
  if (nh.has("gateway")) s.gateway = parse_ip(nh.str("gateway"), "gateway");
  s.onlink = nh.bool_or("onlink", false);
  return s;
}

nl::Message build_newnexthop(const NexthopSpec& s, uint16_t nlflags) {
  nl::Message m(RTM_NEWNEXTHOP, nlflags, "RTM_NEWNEXTHOP", s.describe());
  nhmsg nh{};
  nh.nh_family = static_cast<uint8_t>(s.family);
  nh.nh_protocol = RTPROT_BOOT;
  if (s.onlink) nh.nh_flags |= RTNH_F_ONLINK;
  m.put_header(nh);
  m.put_u32(NHA_ID, s.id);
  if (s.blackhole) {
    m.put_flag(NHA_BLACKHOLE);
    return m;
  }
  m.put_u32(NHA_OIF, static_cast<uint32_t>(s.oif));
  if (s.gateway) m.put_bytes(NHA_GATEWAY, s.gateway->bytes);
  return m;
}

nl::Message build_delnexthop(uint32_t id) {
  nl::Message m(RTM_DELNEXTHOP, 0, "RTM_DELNEXTHOP", "nexthop " + std::to_string(id));
  nhmsg nh{};
  nh.nh_family = AF_UNSPEC;
  m.put_header(nh);
  m.put_u32(NHA_ID, id);
  return m;
}

}  // namespace netplumb::rtnl
