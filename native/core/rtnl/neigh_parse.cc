#include "core/rtnl/neigh_parse.h"

#include <linux/neighbour.h>
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

const Named kStates[] = {{NUD_INCOMPLETE, "incomplete"}, {NUD_REACHABLE, "reachable"}, {NUD_STALE, "stale"},
                         {NUD_DELAY, "delay"},           {NUD_PROBE, "probe"},         {NUD_FAILED, "failed"},
                         {NUD_NOARP, "noarp"},           {NUD_PERMANENT, "permanent"}};
const Named kFlags[] = {{NTF_USE, "use"},       {NTF_SELF, "self"},           {NTF_MASTER, "master"},
                        {NTF_PROXY, "proxy"},   {NTF_EXT_LEARNED, "extLearned"}, {NTF_OFFLOADED, "offloaded"},
                        {NTF_STICKY, "sticky"}, {NTF_ROUTER, "router"}};

Value family_of(int af) {
  if (af == AF_BRIDGE) return Value("bridge");
  return Value(family_number(af));
}

}  // namespace

uint16_t neigh_state_value(const Value& v, const char* field) {
  if (v.is_number()) {
    int64_t n = v.as_int(field);
    if (n < 0 || n > 0xffff) throw InvalidArgument(field, std::string(field) + " must be 0-65535");
    return static_cast<uint16_t>(n);
  }
  const std::string& s = v.as_string(field);
  // FDB states as bridge(8) names them. Static carries REACHABLE too because
  // vxlan refuses an entry that is neither PERMANENT nor REACHABLE; the bridge
  // reads NOARP as static. Dynamic entries age out.
  if (s == "static") return NUD_NOARP | NUD_REACHABLE;
  if (s == "dynamic") return NUD_REACHABLE;
  for (const auto& n : kStates)
    if (s == n.name) return static_cast<uint16_t>(n.value);
  throw InvalidArgument(field, std::string(field) + " must be permanent, reachable, stale, noarp, static or dynamic, got '" + s + "'");
}

Value parse_neighbour(const nlmsghdr* h) {
  auto [v, nd, attrs] = begin_parse<ndmsg>(h, "ndmsg", "neighbour", RTM_DELNEIGH);
  int af = nd->ndm_family;
  v.set("family", family_of(af));
  v.set("index", static_cast<int64_t>(nd->ndm_ifindex));
  if (auto a = attrs.get(NDA_DST)) {
    int ip_af = a->len == 4 ? AF_INET : AF_INET6;
    // For inet entries NDA_DST is the neighbour; in the FDB it is a remote tunnel endpoint.
    v.set(af == AF_BRIDGE ? "dst" : "address", format_ip(ip_af, a->data, a->len));
  }
  if (auto a = attrs.get(NDA_LLADDR)) v.set("lladdr", nl::format_mac(a->data, a->len));
  Array states = flag_names(nd->ndm_state, kStates);
  if (states.empty()) states.push_back(Value("none"));
  v.set("state", std::move(states));
  // The bridge reports entries of its own table with NDA_MASTER rather than
  // NTF_MASTER; both mean "in the master's table", as bridge(8) shows them.
  uint8_t ntf = nd->ndm_flags;
  if (attrs.has(NDA_MASTER)) ntf |= NTF_MASTER;
  v.set("flags", flag_object(ntf, kFlags));
  if (auto a = attrs.get(NDA_VLAN)) v.set("vlan", static_cast<int64_t>(a->u16()));
  if (auto a = attrs.get(NDA_VNI)) v.set("vni", static_cast<int64_t>(a->u32()));
  if (auto a = attrs.get(NDA_PORT)) v.set("port", static_cast<int64_t>(a->be16()));
  if (auto a = attrs.get(NDA_MASTER)) v.set("master", static_cast<int64_t>(a->u32()));
  return std::move(v);
}

Array dump_neighbours(nl::Socket& sock, int af, int ifindex) {
  nl::Message m(RTM_GETNEIGH, 0, "RTM_GETNEIGH", ifindex ? "ifindex " + std::to_string(ifindex) : "");
  ndmsg nd{};
  nd.ndm_family = static_cast<uint8_t>(af);
  m.put_header(nd);
  if (ifindex) m.put_u32(NDA_IFINDEX, static_cast<uint32_t>(ifindex));
  Array out;
  sock.dump(m, [&](const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWNEIGH) return;
    const auto* got = static_cast<const ndmsg*>(NLMSG_DATA(h));
    if (af == AF_BRIDGE ? got->ndm_family != AF_BRIDGE : (got->ndm_family != AF_INET && got->ndm_family != AF_INET6))
      return;
    if (ifindex && got->ndm_ifindex != ifindex) return;
    out.push_back(parse_neighbour(h));
  }, 2);
  return out;
}

NETPLUMB_PARSER(NETLINK_ROUTE, RTM_NEWNEIGH, parse_neighbour);
NETPLUMB_PARSER(NETLINK_ROUTE, RTM_DELNEIGH, parse_neighbour);

}  // namespace netplumb::rtnl
