#include "core/rtnl/nexthop_parse.h"

#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

#include "core/exec/parsers.h"
#include "core/netlink/attrs.h"
#include "core/rtnl/ip_text.h"
#include "core/rtnl/parse_common.h"

namespace netplumb::rtnl {

Value parse_nexthop(const nlmsghdr* h) {
  auto [v, nh, attrs] = begin_parse<nhmsg>(h, "nhmsg", "nexthop", RTM_DELNEXTHOP);
  int af = nh->nh_family;
  v.set("family", af == AF_INET || af == AF_INET6 ? Value(family_number(af)) : Value());
  v.set("onlink", (nh->nh_flags & RTNH_F_ONLINK) != 0);
  v.set("blackhole", attrs.has(NHA_BLACKHOLE));
  if (auto a = attrs.get(NHA_ID)) v.set("id", static_cast<int64_t>(a->u32()));
  if (auto a = attrs.get(NHA_OIF)) v.set("index", static_cast<int64_t>(a->u32()));
  if (auto a = attrs.get(NHA_GATEWAY)) v.set("gateway", format_ip(a->len == 4 ? AF_INET : AF_INET6, a->data, a->len));
  if (auto a = attrs.get(NHA_GROUP)) {
    Array ids;
    for (size_t off = 0; off + sizeof(nexthop_grp) <= a->len; off += sizeof(nexthop_grp)) {
      nexthop_grp g;
      std::memcpy(&g, a->data + off, sizeof g);
      ids.push_back(Value(static_cast<int64_t>(g.id)));
    }
    v.set("group", Value(std::move(ids)));
  }
  return std::move(v);
}

Array dump_nexthops(nl::Socket& sock, int oif) {
  nl::Message m(RTM_GETNEXTHOP, 0, "RTM_GETNEXTHOP", oif ? "dev ifindex " + std::to_string(oif) : "");
  nhmsg nh{};
  nh.nh_family = AF_UNSPEC;
  m.put_header(nh);
  if (oif) m.put_u32(NHA_OIF, static_cast<uint32_t>(oif));
  Array out;
  sock.dump(m, [&](const nlmsghdr* h) {
    if (h->nlmsg_type == RTM_NEWNEXTHOP) out.push_back(parse_nexthop(h));
  }, 2);
  return out;
}

NETPLUMB_PARSER(NETLINK_ROUTE, RTM_NEWNEXTHOP, parse_nexthop);
NETPLUMB_PARSER(NETLINK_ROUTE, RTM_DELNEXTHOP, parse_nexthop);

}  // namespace netplumb::rtnl
