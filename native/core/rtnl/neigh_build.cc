#include "core/rtnl/neigh_build.h"

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "core/errors.h"
#include "core/netlink/attrs.h"
#include "core/rtnl/neigh_parse.h"

namespace netplumb::rtnl {

namespace {
int64_t ranged(const Value& args, const char* key, int64_t min, int64_t max) {
  int64_t n = args.integer(key);
  if (n < min || n > max)
    throw InvalidArgument(key, std::string(key) + " must be " + std::to_string(min) + "-" + std::to_string(max));
  return n;
}
}  // namespace

std::string NeighSpec::describe() const {
  std::string d;
  if (is_bridge()) {
    d = "fdb " + nl::format_mac(lladdr.data(), lladdr.size());
    if (address) d += " dst " + format_ip(address->family, address->bytes);
  } else {
    d = address ? format_ip(family, address->bytes) : "?";
    if (!lladdr.empty()) d += " lladdr " + nl::format_mac(lladdr.data(), lladdr.size());
  }
  return d + " on ifindex " + std::to_string(ifindex);
}

NeighSpec neigh_spec_from_args(const Value& args, int ifindex, bool for_delete) {
  NeighSpec s;
  s.ifindex = ifindex;
  bool bridge = args["family"].is_string() && args.str("family") == "bridge";
  if (args.has("family") && !bridge) throw InvalidArgument("family", "family must be 'bridge' or left out");
  if (bridge) {
    s.family = AF_BRIDGE;
    s.lladdr = nl::parse_mac(args.str("lladdr"), "lladdr");
    if (args.has("dst")) s.address = parse_ip(args.str("dst"), "dst");
    if (args.has("vlan")) s.vlan = static_cast<uint16_t>(ranged(args, "vlan", 1, 4094));
    if (args.has("vni")) s.vni = static_cast<uint32_t>(ranged(args, "vni", 0, 0xFFFFFF));
    if (args.has("port")) s.port = static_cast<uint16_t>(ranged(args, "port", 1, 65535));
    if (args.bool_or("master", false)) s.flags |= NTF_MASTER;
    if (args.bool_or("self", false)) s.flags |= NTF_SELF;
    // As bridge(8): the device's own table unless the bridge (master) is asked for.
    if (!(s.flags & (NTF_MASTER | NTF_SELF))) s.flags |= NTF_SELF;
    // A bridge's "permanent" entry means "delivered to the bridge itself"; static forwards.
    s.state = neigh_state_value(args.has("state") ? args["state"] : Value("static"), "state");
    return s;
  }
  s.address = parse_ip(args.str("address"), "address");
  s.family = s.address->family;
  if (for_delete) return s;
  if (args.has("lladdr")) s.lladdr = nl::parse_mac(args.str("lladdr"), "lladdr");
  s.state = args.has("state") ? neigh_state_value(args["state"], "state") : uint16_t{NUD_PERMANENT};
  if (args.bool_or("router", false)) {
    if (s.family != AF_INET6) throw InvalidArgument("router", "the router flag exists for IPv6 neighbours only");
    s.flags |= NTF_ROUTER;
  }
  if (s.lladdr.empty() && s.state != NUD_NOARP)
    throw InvalidArgument("lladdr", "lladdr (a MAC address) is required unless state is noarp");
  return s;
}

NeighSpec neigh_spec_from_parsed(const Value& e) {
  NeighSpec s;
  s.ifindex = static_cast<int>(e.integer("index"));
  const Value& fam = e["family"];
  s.family = fam.is_string() ? AF_BRIDGE : af_of_family_number(fam.as_int(), "family");
  if (s.is_bridge()) {
    if (e.has("dst")) s.address = parse_ip(e.str("dst"), "dst");
  } else {
    s.address = parse_ip(e.str("address"), "address");
  }
  if (e.has("lladdr")) s.lladdr = nl::parse_mac(e.str("lladdr"), "lladdr");
  for (const Value& st : e["state"].as_array())
    if (st.as_string() != "none") s.state |= neigh_state_value(st, "state");
  const Value& f = e["flags"];
  if (f.bool_or("self", false)) s.flags |= NTF_SELF;
  if (f.bool_or("master", false)) s.flags |= NTF_MASTER;
  if (f.bool_or("router", false)) s.flags |= NTF_ROUTER;
  if (e.has("vlan")) s.vlan = static_cast<uint16_t>(e.integer("vlan"));
  if (e.has("vni")) s.vni = static_cast<uint32_t>(e.integer("vni"));
  if (e.has("port")) s.port = static_cast<uint16_t>(e.integer("port"));
  return s;
}

bool neigh_matches(const NeighSpec& s, const Value& e) {
  if (e.integer("index") != s.ifindex) return false;
  if (!s.is_bridge()) return e.str_or("address", "") == format_ip(s.family, s.address->bytes);
  if (e.str_or("lladdr", "") != nl::format_mac(s.lladdr.data(), s.lladdr.size())) return false;
  if (e.int_or("vlan", 0) != (s.vlan ? *s.vlan : 0)) return false;
  if (s.address && e.str_or("dst", "") != format_ip(s.address->family, s.address->bytes)) return false;
  if ((s.flags & NTF_MASTER) && !e["flags"].bool_or("master", false)) return false;
  if ((s.flags & NTF_SELF) && !(s.flags & NTF_MASTER) && !e["flags"].bool_or("self", false)) return false;
  return true;
}

namespace {
nl::Message build(uint16_t type, uint16_t nlflags, const char* op, const NeighSpec& s, bool full) {
  nl::Message m(type, nlflags, op, s.describe());
  ndmsg nd{};
  nd.ndm_family = static_cast<uint8_t>(s.family);
  nd.ndm_ifindex = s.ifindex;
  nd.ndm_state = full ? s.state : 0;
  nd.ndm_flags = s.is_bridge() || full ? s.flags : 0;
  m.put_header(nd);
  if (s.address) m.put_bytes(NDA_DST, s.address->bytes);
  if (!s.lladdr.empty() && (full || s.is_bridge())) m.put_bytes(NDA_LLADDR, s.lladdr);
  if (s.vlan) m.put_u16(NDA_VLAN, *s.vlan);
  if (s.vni) m.put_u32(NDA_VNI, *s.vni);
  if (s.port) m.put_be16(NDA_PORT, *s.port);
  return m;
}
}  // namespace

nl::Message build_newneigh(const NeighSpec& s, uint16_t nlflags) {
  return build(RTM_NEWNEIGH, nlflags, "RTM_NEWNEIGH", s, true);
}

nl::Message build_delneigh(const NeighSpec& s) { return build(RTM_DELNEIGH, 0, "RTM_DELNEIGH", s, false); }

}  // namespace netplumb::rtnl
