#include "core/rtnl/route_build.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "core/errors.h"
#include "core/rtnl/addr_parse.h"
#include "core/rtnl/route_parse.h"

namespace netplumb::rtnl {

namespace {

// The scope iproute2 picks when none is given.
uint8_t default_scope(const RouteSpec& s) {
  if (s.type == RTN_LOCAL || s.type == RTN_NAT) return RT_SCOPE_HOST;
  if (s.type == RTN_BROADCAST || s.type == RTN_MULTICAST || s.type == RTN_ANYCAST) return RT_SCOPE_LINK;
  if (s.type == RTN_UNICAST && !s.gateway && !s.nhid) return RT_SCOPE_LINK;
  return RT_SCOPE_UNIVERSE;
}

uint32_t u32_arg(const Value& args, const char* key, uint32_t max = 0xFFFFFFFFu) {
  int64_t n = args.integer(key);
  if (n < 0 || n > max) throw InvalidArgument(key, std::string(key) + " must be 0-" + std::to_string(max));
  return static_cast<uint32_t>(n);
}

void check_family(int& family, int got, const char* field) {
  if (family && got != family) throw InvalidArgument(field, std::string(field) + " is not of the route's address family");
  family = got;
}

}  // namespace

std::string RouteSpec::describe() const {
  std::string d = dst.length == 0 ? "default" : format_ip(family, dst.ip.bytes) + "/" + std::to_string(dst.length);
  if (nhid) d += " nhid " + std::to_string(*nhid);
  if (gateway) d += " via " + format_ip(family, gateway->bytes);
  if (oif) d += " dev ifindex " + std::to_string(oif);
  if (table != RT_TABLE_MAIN) d += " table " + std::to_string(table);
  return d;
}

uint32_t RouteSpec::effective_metric() const {
  if (metric) return *metric;
  return family == AF_INET6 ? 1024 : 0;
}

RouteSpec route_spec_from_args(const Value& args, int oif, bool for_delete) {
  RouteSpec s;
  if (args.has("family")) s.family = af_of_family_number(args.integer("family"), "family");
  const std::string& dest = args.str("destination");
  if (dest != "default") {
    s.dst = parse_prefix(dest, "destination", true);
    check_family(s.family, s.dst.ip.family, "destination");
  }
  if (args.has("gateway")) {
    s.gateway = parse_ip(args.str("gateway"), "gateway");
    check_family(s.family, s.gateway->family, "gateway");
  }
  if (args.has("src")) {
    s.prefsrc = parse_ip(args.str("src"), "src");
    check_family(s.family, s.prefsrc->family, "src");
  }
  if (!s.family)
    throw InvalidArgument("family", "a default route without a gateway needs family: 4 or 6");
  if (dest == "default") {
    s.dst.ip.family = s.family;
    s.dst.ip.bytes.assign(s.family == AF_INET ? 4 : 16, 0);
  } else {
    // The kernel refuses a destination with host bits set; say so before sending.
    for (int bit = s.dst.length; bit < static_cast<int>(s.dst.ip.bytes.size()) * 8; bit++)
      if (s.dst.ip.bytes[bit / 8] & (0x80 >> (bit % 8)))
        throw InvalidArgument("destination", "destination '" + dest + "' has host bits set; use the network address");
  }
  s.oif = oif;
  if (args.has("metric")) s.metric = u32_arg(args, "metric");
  if (args.has("table")) s.table = route_table_value(args["table"], "table");
  if (args.has("mtu")) s.mtu = u32_arg(args, "mtu");
  s.onlink = args.bool_or("onlink", false);
  if (args.has("nhid")) {
    if (s.gateway || oif || s.onlink)
      throw InvalidArgument("nhid", "a route through a nexthop object (nhid) takes neither gateway, dev nor onlink");
    s.nhid = u32_arg(args, "nhid");
    if (*s.nhid == 0) throw InvalidArgument("nhid", "nhid must be 1-4294967295");
  }
  if (for_delete) {
    s.type = args.has("type") ? route_type_value(args["type"], "type") : uint8_t{RTN_UNSPEC};
    s.protocol = args.has("protocol") ? route_protocol_value(args["protocol"], "protocol") : RTPROT_UNSPEC;
    s.scope = args.has("scope") ? scope_value(args["scope"], "scope") : uint8_t{RT_SCOPE_NOWHERE};
  } else {
    if (args.has("type")) s.type = route_type_value(args["type"], "type");
    if (args.has("protocol")) s.protocol = route_protocol_value(args["protocol"], "protocol");
    s.scope = args.has("scope") ? scope_value(args["scope"], "scope") : default_scope(s);
  }
  return s;
}

RouteSpec route_spec_from_parsed(const Value& r) {
  RouteSpec s;
  s.family = af_of_family_number(r.integer("family"), "family");
  if (r.str("destination") == "default") {
    s.dst.ip.family = s.family;
    s.dst.ip.bytes.assign(s.family == AF_INET ? 4 : 16, 0);
  } else {
    s.dst = parse_prefix(r.str("destination"), "destination");
  }
  if (r.has("gateway")) s.gateway = parse_ip(r.str("gateway"), "gateway");
  if (r.has("src")) s.prefsrc = parse_ip(r.str("src"), "src");
  s.oif = static_cast<int>(r.int_or("index", 0));
  if (r.has("metric")) s.metric = static_cast<uint32_t>(r.integer("metric"));
  s.table = static_cast<uint32_t>(r.integer("table"));
  s.scope = scope_value(r["scope"], "scope");
  s.protocol = route_protocol_value(r["protocol"], "protocol");
  s.type = route_type_value(r["type"], "type");
  s.onlink = r.bool_or("onlink", false);
  if (r.has("mtu")) s.mtu = static_cast<uint32_t>(r.integer("mtu"));
  if (r.has("nhid")) {
    // The kernel reports the nexthop's gateway and device too; the route itself holds only the id.
    s.nhid = static_cast<uint32_t>(r.integer("nhid"));
    s.gateway.reset();
    s.oif = 0;
    s.onlink = false;
  }
  return s;
}

namespace {
nl::Message build(uint16_t type, uint16_t nlflags, const char* op, const RouteSpec& s) {
  nl::Message m(type, nlflags, op, s.describe());
  rtmsg rt{};
  rt.rtm_family = static_cast<uint8_t>(s.family);
  rt.rtm_dst_len = static_cast<uint8_t>(s.dst.length);
  rt.rtm_table = static_cast<uint8_t>(s.table < 256 ? s.table : RT_TABLE_UNSPEC);
  rt.rtm_protocol = s.protocol;
  rt.rtm_scope = s.scope;
  rt.rtm_type = s.type;
  if (s.onlink) rt.rtm_flags |= RTNH_F_ONLINK;
  m.put_header(rt);
  m.put_u32(RTA_TABLE, s.table);
  if (s.dst.length) m.put_bytes(RTA_DST, s.dst.ip.bytes);
  if (s.gateway) m.put_bytes(RTA_GATEWAY, s.gateway->bytes);
  if (s.oif) m.put_u32(RTA_OIF, static_cast<uint32_t>(s.oif));
  if (s.prefsrc) m.put_bytes(RTA_PREFSRC, s.prefsrc->bytes);
  if (s.metric) m.put_u32(RTA_PRIORITY, *s.metric);
  if (s.nhid) m.put_u32(RTA_NH_ID, *s.nhid);
  if (s.mtu) {
    size_t nest = m.begin_nest(RTA_METRICS);
    m.put_u32(RTAX_MTU, *s.mtu);
    m.end_nest(nest);
  }
  return m;
}
}  // namespace

nl::Message build_newroute(const RouteSpec& s, uint16_t nlflags) {
  return build(RTM_NEWROUTE, nlflags, "RTM_NEWROUTE", s);
}

nl::Message build_delroute(const RouteSpec& s) {
  RouteSpec d = s;
  // Only what identifies the route: any scope, and the metrics play no part.
  d.scope = RT_SCOPE_NOWHERE;
  d.mtu.reset();
  d.onlink = false;
  d.prefsrc.reset();
  return build(RTM_DELROUTE, 0, "RTM_DELROUTE", d);
}

}  // namespace netplumb::rtnl
