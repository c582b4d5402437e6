#include "core/rtnl/link_parse.h"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <cstring>

#include "core/errors.h"
#include "core/exec/parsers.h"
#include "core/netlink/attrs.h"
#include "core/rtnl/parse_common.h"

namespace netplumb::rtnl {

namespace {

// Names as iproute2 prints them.
const Named kFlags[] = {
    {IFF_UP, "UP"},           {IFF_BROADCAST, "BROADCAST"},   {IFF_DEBUG, "DEBUG"},
    {IFF_LOOPBACK, "LOOPBACK"}, {IFF_POINTOPOINT, "POINTOPOINT"}, {IFF_NOTRAILERS, "NOTRAILERS"},
    {IFF_RUNNING, "RUNNING"}, {IFF_NOARP, "NOARP"},           {IFF_PROMISC, "PROMISC"},
    {IFF_ALLMULTI, "ALLMULTI"}, {IFF_MASTER, "MASTER"},       {IFF_SLAVE, "SLAVE"},
    {IFF_MULTICAST, "MULTICAST"}, {IFF_PORTSEL, "PORTSEL"},   {IFF_AUTOMEDIA, "AUTOMEDIA"},
    {IFF_DYNAMIC, "DYNAMIC"}, {IFF_LOWER_UP, "LOWER_UP"},     {IFF_DORMANT, "DORMANT"},
    {IFF_ECHO, "ECHO"},
};

const char* operstate_name(uint8_t s) {
  switch (s) {
    case IF_OPER_NOTPRESENT: return "notpresent";
    case IF_OPER_DOWN: return "down";
    case IF_OPER_LOWERLAYERDOWN: return "lowerlayerdown";
    case IF_OPER_TESTING: return "testing";
    case IF_OPER_DORMANT: return "dormant";
    case IF_OPER_UP: return "up";
    default: return "unknown";
  }
}

const char* ipvlan_mode_name(uint16_t m) {
  switch (m) {
    case IPVLAN_MODE_L2: return "l2";
    case IPVLAN_MODE_L3: return "l3";
    case IPVLAN_MODE_L3S: return "l3s";
    default: return "unknown";
  }
}

const char* macvlan_mode_name(uint32_t m) {
  switch (m) {
    case MACVLAN_MODE_PRIVATE: return "private";
    case MACVLAN_MODE_VEPA: return "vepa";
    case MACVLAN_MODE_BRIDGE: return "bridge";
    case MACVLAN_MODE_PASSTHRU: return "passthru";
    case MACVLAN_MODE_SOURCE: return "source";
    default: return "unknown";
  }
}

std::string ip_text(const nl::Attr& a) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (a.len == 4) inet_ntop(AF_INET, a.data, buf, sizeof buf);
  if (a.len == 16) inet_ntop(AF_INET6, a.data, buf, sizeof buf);
  return buf;
}

bool multicast(const nl::Attr& a) { return a.len == 4 ? (a.data[0] & 0xf0) == 0xe0 : a.len == 16 && a.data[0] == 0xff; }

// Bridge times are clock_t (USER_HZ = 100); the API speaks milliseconds.
int64_t ms_of_centiseconds(uint32_t cs) { return int64_t{cs} * 10; }

Value bridge_info(const nl::Attrs& d) {
  Value v = Value(Object{});
  if (auto a = d.get(IFLA_BR_STP_STATE)) v.set("stp", a->u32() != 0);
  if (auto a = d.get(IFLA_BR_FORWARD_DELAY)) v.set("forwardDelay", ms_of_centiseconds(a->u32()));
  if (auto a = d.get(IFLA_BR_AGEING_TIME)) v.set("ageingTime", ms_of_centiseconds(a->u32()));
  if (auto a = d.get(IFLA_BR_VLAN_FILTERING)) v.set("vlanFiltering", a->u8() != 0);
  return v;
}

Value vxlan_info(const nl::Attrs& d) {
  Value v = Value(Object{});
  v.set("remote", nullptr);
  v.set("group", nullptr);
  v.set("local", nullptr);
  v.set("dev", nullptr);
  if (auto a = d.get(IFLA_VXLAN_ID)) v.set("vni", a->u32());
  if (auto a = d.get(IFLA_VXLAN_PORT)) v.set("port", a->be16());
  for (uint16_t t : {IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6})
    if (auto a = d.get(t)) v.set(multicast(*a) ? "group" : "remote", ip_text(*a));
  for (uint16_t t : {IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6})
    if (auto a = d.get(t)) v.set("local", ip_text(*a));
  if (auto a = d.get(IFLA_VXLAN_LEARNING)) v.set("learning", a->u8() != 0);
  if (auto a = d.get(IFLA_VXLAN_LINK)) v.set("dev", a->u32() ? Value(a->u32()) : Value());
  if (auto a = d.get(IFLA_VXLAN_TTL)) v.set("ttl", a->u8());
  return v;
}

// IFLA_BRPORT_* from IFLA_INFO_SLAVE_DATA (AF_UNSPEC) or IFLA_PROTINFO (AF_BRIDGE).
Value bridge_port_info(const nl::Attrs& d) {
  Value v = Value(Object{});
  if (auto a = d.get(IFLA_BRPORT_STATE)) v.set("state", a->u8());
  if (auto a = d.get(IFLA_BRPORT_MODE)) v.set("hairpin", a->u8() != 0);
  if (auto a = d.get(IFLA_BRPORT_ISOLATED)) v.set("isolated", a->u8() != 0);
  if (auto a = d.get(IFLA_BRPORT_LEARNING)) v.set("learning", a->u8() != 0);
  if (auto a = d.get(IFLA_BRPORT_UNICAST_FLOOD)) v.set("flood", a->u8() != 0);
  if (auto a = d.get(IFLA_BRPORT_COST)) v.set("cost", a->u32());
  if (auto a = d.get(IFLA_BRPORT_PRIORITY)) v.set("priority", a->u16());
  return v;
}

Value stats_of(const nl::Attr& a) {
  rtnl_link_stats64 s{};
  std::memcpy(&s, a.data, std::min(a.len, sizeof s));
  Value v = Value(Object{});
  v.set("rxPackets", static_cast<uint64_t>(s.rx_packets));
  v.set("txPackets", static_cast<uint64_t>(s.tx_packets));
  v.set("rxBytes", static_cast<uint64_t>(s.rx_bytes));
  v.set("txBytes", static_cast<uint64_t>(s.tx_bytes));
  v.set("rxErrors", static_cast<uint64_t>(s.rx_errors));
  v.set("txErrors", static_cast<uint64_t>(s.tx_errors));
  v.set("rxDropped", static_cast<uint64_t>(s.rx_dropped));
  v.set("txDropped", static_cast<uint64_t>(s.tx_dropped));
  return v;
}

void read_linkinfo(Value& v, const nl::Attrs& info) {
  std::string kind, slave_kind;
  if (auto a = info.get(IFLA_INFO_KIND)) kind = a->str();
  if (auto a = info.get(IFLA_INFO_SLAVE_KIND)) slave_kind = a->str();
  if (!kind.empty()) v.set("linkKind", kind);
  if (auto data = info.get(IFLA_INFO_DATA)) {
    if (kind == "bridge") v.set("bridge", bridge_info(data->nested()));
    if (kind == "vxlan") v.set("vxlan", vxlan_info(data->nested()));
    if (kind == "macvlan")
      if (auto m = data->nested().get(IFLA_MACVLAN_MODE)) v.set("macvlan", Value(Object{{"mode", macvlan_mode_name(m->u32())}}));
    if (kind == "ipvlan")
      if (auto m = data->nested().get(IFLA_IPVLAN_MODE)) v.set("ipvlan", Value(Object{{"mode", ipvlan_mode_name(m->u16())}}));
    if (kind == "vlan")
      if (auto id = data->nested().get(IFLA_VLAN_ID)) v.set("vlan", Value(Object{{"id", Value(static_cast<int64_t>(id->u16()))}}));
  }
  if (slave_kind == "bridge")
    if (auto data = info.get(IFLA_INFO_SLAVE_DATA)) v.set("bridgePort", bridge_port_info(data->nested()));
}

}  // namespace

Value parse_link(const nlmsghdr* h) {
  auto [v, ifi, attrs] = begin_parse<ifinfomsg>(h, "ifinfomsg", "link", RTM_DELLINK);
  v.set("index", ifi->ifi_index);
  if (ifi->ifi_family == AF_BRIDGE) v.set("family", "bridge");
  v.set("flags", Value(flag_names(ifi->ifi_flags, kFlags)));
  v.set("up", (ifi->ifi_flags & IFF_UP) != 0);
  for (const char* k : {"address", "broadcast", "master", "alias", "linkKind", "linkNetnsId", "link", "parentIndex",
                        "peerIndex", "bridge", "vxlan", "macvlan", "ipvlan", "vlan", "bridgePort", "stats"})
    v.set(k, nullptr);
  v.set("operstate", "unknown");
  v.set("deviceGroup", 0);
  for (nl::Attr a : attrs) {
    switch (a.type) {
      case IFLA_IFNAME: v.set("name", a.str()); break;
      case IFLA_MTU: v.set("mtu", a.u32()); break;
      case IFLA_TXQLEN: v.set("txQueueLen", a.u32()); break;
      case IFLA_GROUP: v.set("deviceGroup", a.u32()); break;
      case IFLA_OPERSTATE: v.set("operstate", operstate_name(a.u8())); break;
      case IFLA_ADDRESS: v.set("address", nl::format_mac(a.data, a.len)); break;
      case IFLA_BROADCAST: v.set("broadcast", nl::format_mac(a.data, a.len)); break;
      case IFLA_MASTER: v.set("master", a.u32() ? Value(a.u32()) : Value()); break;
      case IFLA_IFALIAS: v.set("alias", a.str()); break;
      case IFLA_LINK_NETNSID: v.set("linkNetnsId", a.s32()); break;
      case IFLA_LINK: v.set("link", a.u32()); break;
      case IFLA_STATS64: v.set("stats", stats_of(a)); break;
      case IFLA_LINKINFO: read_linkinfo(v, a.nested()); break;
      case IFLA_PROTINFO:
        if (ifi->ifi_family == AF_BRIDGE) v.set("bridgePort", bridge_port_info(a.nested()));
        break;
      default: break;
    }
  }
  // IFLA_LINK names a veth's peer (possibly in the namespace linkNetnsId) and
  // the lower device of anything stacked on one (macvlan, vlan, ...).
  bool veth = v["linkKind"].is_string() && v["linkKind"].as_string() == "veth";
  if (v["link"].is_int() && (veth || v["index"].as_int() != v["link"].as_int()))
    v.set(veth ? "peerIndex" : "parentIndex", v["link"]);
  return std::move(v);
}

NETPLUMB_PARSER(NETLINK_ROUTE, RTM_NEWLINK, parse_link);
NETPLUMB_PARSER(NETLINK_ROUTE, RTM_DELLINK, parse_link);

}  // namespace netplumb::rtnl
