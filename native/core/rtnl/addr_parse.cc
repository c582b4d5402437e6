#include "core/rtnl/addr_parse.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>

#include "core/errors.h"
#include "core/exec/parsers.h"
#include "core/netlink/attrs.h"
#include "core/rtnl/ip_text.h"
#include "core/rtnl/parse_common.h"

namespace netplumb::rtnl {

namespace {

const Named kAddrFlags[] = {
    {IFA_F_SECONDARY, "secondary"},     {IFA_F_NODAD, "nodad"},
    {IFA_F_OPTIMISTIC, "optimistic"},   {IFA_F_DADFAILED, "dadfailed"},
    {IFA_F_HOMEADDRESS, "homeAddress"}, {IFA_F_DEPRECATED, "deprecated"},
    {IFA_F_TENTATIVE, "tentative"},     {IFA_F_PERMANENT, "permanent"},
    {IFA_F_MANAGETEMPADDR, "managetempaddr"}, {IFA_F_NOPREFIXROUTE, "noprefixroute"},
    {IFA_F_MCAUTOJOIN, "mcautojoin"},   {IFA_F_STABLE_PRIVACY, "stablePrivacy"},
};

// INFINITY_LIFE_TIME: the address never expires.
Value lifetime(uint32_t seconds) {
  if (seconds == 0xFFFFFFFFu) return Value("forever");
  return Value(static_cast<int64_t>(seconds));
}

}  // namespace

Value scope_name(uint8_t scope) {
  switch (scope) {
    case RT_SCOPE_UNIVERSE: return Value("global");
    case RT_SCOPE_SITE: return Value("site");
    case RT_SCOPE_LINK: return Value("link");
    case RT_SCOPE_HOST: return Value("host");
    case RT_SCOPE_NOWHERE: return Value("nowhere");
    default: return Value(static_cast<int64_t>(scope));
  }
}

uint8_t scope_value(const Value& v, const char* field) {
  if (v.is_number()) {
    int64_t n = v.as_int(field);
    if (n < 0 || n > 255) throw InvalidArgument(field, std::string(field) + " must be 0-255");
    return static_cast<uint8_t>(n);
  }
  const std::string& s = v.as_string(field);
  if (s == "global" || s == "universe") return RT_SCOPE_UNIVERSE;
  if (s == "site") return RT_SCOPE_SITE;
  if (s == "link") return RT_SCOPE_LINK;
  if (s == "host") return RT_SCOPE_HOST;
  if (s == "nowhere") return RT_SCOPE_NOWHERE;
  throw InvalidArgument(field, std::string(field) + " must be global, site, link, host, nowhere or 0-255, got '" + s + "'");
}

Value parse_address(const nlmsghdr* h) {
  auto [v, ifa, attrs] = begin_parse<ifaddrmsg>(h, "ifaddrmsg", "address", RTM_DELADDR);
  int af = ifa->ifa_family;
  v.set("family", family_number(af));
  v.set("index", static_cast<int64_t>(ifa->ifa_index));
  // Init-captured: a lambda may not capture a structured binding itself before C++20.
  auto text = [&all = attrs, af](uint16_t type) -> std::string {
    auto a = all.get(type);
    return a ? format_ip(af, a->data, a->len) : std::string();
  };
  std::string local = text(IFA_LOCAL);
  std::string address = text(IFA_ADDRESS);
  // With IFA_LOCAL present, IFA_ADDRESS is the peer of a point-to-point address.
  std::string own = local.empty() ? address : local;
  v.set("address", own);
  v.set("prefixLength", static_cast<int64_t>(ifa->ifa_prefixlen));
  v.set("cidr", own + "/" + std::to_string(ifa->ifa_prefixlen));
  v.set("scope", scope_name(ifa->ifa_scope));
  if (!local.empty()) v.set("local", local);
  if (!local.empty() && !address.empty() && address != local) v.set("peer", address);
  std::string brd = text(IFA_BROADCAST);
  if (!brd.empty()) v.set("broadcast", brd);
  if (auto a = attrs.get(IFA_LABEL)) v.set("label", a->str());
  uint32_t flags = ifa->ifa_flags;
  if (auto a = attrs.get(IFA_FLAGS)) flags = a->u32();
  v.set("flags", flag_object(flags, kAddrFlags));
  if (auto a = attrs.get(IFA_CACHEINFO); a && a->len >= sizeof(ifa_cacheinfo)) {
    const auto* ci = reinterpret_cast<const ifa_cacheinfo*>(a->data);
    v.set("validLifetime", lifetime(ci->ifa_valid));
    v.set("preferredLifetime", lifetime(ci->ifa_prefered));
  }
  return std::move(v);
}

Array dump_addresses(nl::Socket& sock, int af, int ifindex) {
  nl::Message m(RTM_GETADDR, 0, "RTM_GETADDR", ifindex ? "ifindex " + std::to_string(ifindex) : "");
  ifaddrmsg ifa{};
  ifa.ifa_family = static_cast<uint8_t>(af);
  ifa.ifa_index = static_cast<uint32_t>(ifindex);
  m.put_header(ifa);
  Array out;
  sock.dump(m, [&](const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWADDR) return;
    const auto* got = static_cast<const ifaddrmsg*>(NLMSG_DATA(h));
    if (af && got->ifa_family != af) return;
    if (ifindex && static_cast<int>(got->ifa_index) != ifindex) return;
    out.push_back(parse_address(h));
  }, 2);
  return out;
}

NETPLUMB_PARSER(NETLINK_ROUTE, RTM_NEWADDR, parse_address);
NETPLUMB_PARSER(NETLINK_ROUTE, RTM_DELADDR, parse_address);

}  // namespace netplumb::rtnl
