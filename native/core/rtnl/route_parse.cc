#include "core/rtnl/route_parse.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>

#include "core/errors.h"
#include "core/exec/parsers.h"
#include "core/netlink/attrs.h"
#include "core/rtnl/addr_parse.h"
#include "core/rtnl/ip_text.h"
#include "core/rtnl/parse_common.h"

namespace netplumb::rtnl {

namespace {

const Named kProtocols[] = {{RTPROT_UNSPEC, "unspec"}, {RTPROT_REDIRECT, "redirect"}, {RTPROT_KERNEL, "kernel"},
                            {RTPROT_BOOT, "boot"},     {RTPROT_STATIC, "static"},     {RTPROT_RA, "ra"},
                            {RTPROT_DHCP, "dhcp"}};
const Named kTypes[] = {{RTN_UNICAST, "unicast"},     {RTN_LOCAL, "local"},         {RTN_BROADCAST, "broadcast"},
                        {RTN_ANYCAST, "anycast"},     {RTN_MULTICAST, "multicast"}, {RTN_BLACKHOLE, "blackhole"},
                        {RTN_UNREACHABLE, "unreachable"}, {RTN_PROHIBIT, "prohibit"}, {RTN_THROW, "throw"},
                        {RTN_NAT, "nat"}};

template <size_t N>
Value name_of(const Named (&table)[N], uint8_t v) {
  for (const auto& n : table)
    if (n.value == v) return Value(n.name);
  return Value(static_cast<int64_t>(v));
}

template <size_t N>
uint8_t value_of(const Named (&table)[N], const Value& v, const char* field) {
  if (v.is_number()) {
    int64_t n = v.as_int(field);
    if (n < 0 || n > 255) throw InvalidArgument(field, std::string(field) + " must be 0-255");
    return static_cast<uint8_t>(n);
  }
  const std::string& s = v.as_string(field);
  for (const auto& n : table)
    if (s == n.name) return static_cast<uint8_t>(n.value);
  std::string names;
  for (const auto& n : table) names += std::string(names.empty() ? "" : ", ") + n.name;
  throw InvalidArgument(field, std::string(field) + " must be one of " + names + " or 0-255, got '" + s + "'");
}

}  // namespace

Value route_protocol_name(uint8_t p) { return name_of(kProtocols, p); }
uint8_t route_protocol_value(const Value& v, const char* field) { return value_of(kProtocols, v, field); }
Value route_type_name(uint8_t t) { return name_of(kTypes, t); }
uint8_t route_type_value(const Value& v, const char* field) { return value_of(kTypes, v, field); }
Value route_scope_name(uint8_t s) { return s == RT_SCOPE_UNIVERSE ? Value("universe") : scope_name(s); }

uint32_t route_table_value(const Value& v, const char* field) {
  if (v.is_string()) {
    const std::string& s = v.as_string();
    if (s == "main") return RT_TABLE_MAIN;
    if (s == "local") return RT_TABLE_LOCAL;
    if (s == "default") return RT_TABLE_DEFAULT;
    throw InvalidArgument(field, std::string(field) + " must be main, local, default or 1-4294967295, got '" + s + "'");
  }
  int64_t n = v.as_int(field);
  if (n < 1 || n > 0xFFFFFFFFLL) throw InvalidArgument(field, std::string(field) + " must be 1-4294967295");
  return static_cast<uint32_t>(n);
}

Value parse_route(const nlmsghdr* h) {
  auto [v, rt, attrs] = begin_parse<rtmsg>(h, "rtmsg", "route", RTM_DELROUTE);
  int af = rt->rtm_family;
  v.set("family", family_number(af));
  // Init-captured: a lambda may not capture a structured binding itself before C++20.
  auto ip = [&all = attrs, af](uint16_t type) -> std::string {
    auto a = all.get(type);
    return a ? format_ip(af, a->data, a->len) : std::string();
  };
  std::string dst = ip(RTA_DST);
  v.set("destination", rt->rtm_dst_len == 0 && dst.empty() ? std::string("default")
                                                            : (dst.empty() ? std::string(af == AF_INET6 ? "::" : "0.0.0.0") : dst) +
                                                                  "/" + std::to_string(rt->rtm_dst_len));
  std::string gw = ip(RTA_GATEWAY);
  if (!gw.empty()) v.set("gateway", gw);
  if (auto a = attrs.get(RTA_OIF)) v.set("index", static_cast<int64_t>(a->u32()));
  std::string src = ip(RTA_PREFSRC);
  if (!src.empty()) v.set("src", src);
  if (auto a = attrs.get(RTA_PRIORITY)) v.set("metric", static_cast<int64_t>(a->u32()));
  if (auto a = attrs.get(RTA_NH_ID)) v.set("nhid", static_cast<int64_t>(a->u32()));
  uint32_t table = rt->rtm_table;
  if (auto a = attrs.get(RTA_TABLE)) table = a->u32();
  v.set("table", static_cast<int64_t>(table));
  v.set("scope", route_scope_name(rt->rtm_scope));
  v.set("protocol", route_protocol_name(rt->rtm_protocol));
  v.set("type", route_type_name(rt->rtm_type));
  v.set("onlink", (rt->rtm_flags & RTNH_F_ONLINK) != 0);
  if (auto m = attrs.get(RTA_METRICS))
    if (auto mtu = m->nested().get(RTAX_MTU)) v.set("mtu", static_cast<int64_t>(mtu->u32()));
  return std::move(v);
}

Array dump_routes(nl::Socket& sock, int af, uint32_t table, int oif) {
  nl::Message m(RTM_GETROUTE, 0, "RTM_GETROUTE", table ? "table " + std::to_string(table) : "");
  rtmsg rt{};
  rt.rtm_family = static_cast<uint8_t>(af);
  rt.rtm_table = static_cast<uint8_t>(table < 256 ? table : RT_TABLE_UNSPEC);
  m.put_header(rt);
  if (table) m.put_u32(RTA_TABLE, table);
  if (oif) m.put_u32(RTA_OIF, static_cast<uint32_t>(oif));
  Array out;
  sock.dump(m, [&](const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWROUTE) return;
    const auto* got = static_cast<const rtmsg*>(NLMSG_DATA(h));
    if (got->rtm_flags & RTM_F_CLONED) return;
    if (af && got->rtm_family != af) return;
    if (got->rtm_family != AF_INET && got->rtm_family != AF_INET6) return;
    Value r = parse_route(h);
    if (table && static_cast<uint32_t>(r.integer("table")) != table) return;
    if (oif && r.int_or("index", 0) != oif) return;
    out.push_back(std::move(r));
  }, 2);
  return out;
}

NETPLUMB_PARSER(NETLINK_ROUTE, RTM_NEWROUTE, parse_route);
NETPLUMB_PARSER(NETLINK_ROUTE, RTM_DELROUTE, parse_route);

}  // namespace netplumb::rtnl
