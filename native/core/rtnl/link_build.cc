#include "core/rtnl/link_build.h"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "core/errors.h"
#include "core/netlink/attrs.h"
#include "core/netns/netns.h"
#include "core/rtnl/ifindex.h"

namespace netplumb::rtnl {

namespace {

// Bridge times travel in clock_t (USER_HZ = 100, centiseconds); the API takes milliseconds.
uint32_t centiseconds_of_ms(int64_t ms) { return static_cast<uint32_t>(ms / 10); }

void put_ifinfo(nl::Message& m, uint8_t family, int index) {
  ifinfomsg ifi{};
  ifi.ifi_family = family;
  ifi.ifi_index = index;
  m.put_header(ifi);
}

// Attributes that every kind accepts at creation (and the veth peer inside its nest).
void put_create_common(nl::Message& m, const Value& a, const std::string& field_prefix) {
  m.put_str(IFLA_IFNAME, check_ifname(a.str("name"), (field_prefix + "name").c_str()));
  if (a.has("mtu")) m.put_u32(IFLA_MTU, static_cast<uint32_t>(int_arg(a, "mtu", 68, 65535)));
  if (a.has("address")) m.put_bytes(IFLA_ADDRESS, nl::parse_mac(a.str("address"), (field_prefix + "address").c_str()));
  if (a.has("txQueueLen"))
    m.put_u32(IFLA_TXQLEN, static_cast<uint32_t>(int_arg(a, "txQueueLen", 0, 0xffffffffLL)));
  // The device group is one of the few attributes the kernel applies in the
  // create request itself, so a mark carried there is on the link from its first instant.
  if (a.has("deviceGroup"))
    m.put_u32(IFLA_GROUP, static_cast<uint32_t>(int_arg(a, "deviceGroup", 0, 0xffffffffLL)));
}

struct IpAddr {
  int family;
  uint8_t bytes[16];
};

IpAddr ip_of(const std::string& s, const char* field) {
  IpAddr a{};
  if (inet_pton(AF_INET, s.c_str(), a.bytes) == 1) {
    a.family = AF_INET;
  } else if (inet_pton(AF_INET6, s.c_str(), a.bytes) == 1) {
    a.family = AF_INET6;
  } else {
    throw InvalidArgument(field, std::string(field) + " '" + s + "' is not an IPv4 or IPv6 address");
  }
  return a;
}

bool is_multicast(const IpAddr& a) { return a.family == AF_INET ? (a.bytes[0] & 0xf0) == 0xe0 : a.bytes[0] == 0xff; }

void put_ip(nl::Message& m, uint16_t v4_type, uint16_t v6_type, const IpAddr& a) {
  if (a.family == AF_INET)
    m.put(v4_type, a.bytes, 4);
  else
    m.put(v6_type, a.bytes, 16);
}

void put_veth_data(nl::Message& m, const Value& args) {
  const Value& peer = args["peer"];
  if (!peer.is_object() || !peer.has("name"))
    throw InvalidArgument("peer.name", "a veth needs peer: {name} (the other end's final name)");
  size_t peer_nest = m.begin_nest(VETH_INFO_PEER);
  // The kernel reads the peer as a whole link request: its ifinfomsg first.
  put_ifinfo(m, AF_UNSPEC, 0);
  Value peer_args = peer;
  if (!peer.has("mtu") && args.has("mtu")) peer_args.set("mtu", args["mtu"]);
  put_create_common(m, peer_args, "peer.");
  if (peer.has("netns")) m.put_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(peer["netns"].as_netns("peer.netns")->fd()));
  m.end_nest(peer_nest);
}

void put_bridge_data(nl::Message& m, const Value& args) {
  if (args.has("stp")) m.put_u32(IFLA_BR_STP_STATE, args["stp"].as_bool("stp") ? 1 : 0);
  if (args.has("forwardDelay"))
    m.put_u32(IFLA_BR_FORWARD_DELAY, centiseconds_of_ms(int_arg(args, "forwardDelay", 0, 0xffffffffLL * 10)));
  if (args.has("ageingTime"))
    m.put_u32(IFLA_BR_AGEING_TIME, centiseconds_of_ms(int_arg(args, "ageingTime", 0, 0xffffffffLL * 10)));
  if (args.has("vlanFiltering")) m.put_u8(IFLA_BR_VLAN_FILTERING, args["vlanFiltering"].as_bool("vlanFiltering") ? 1 : 0);
  if (args.has("mcastSnooping")) m.put_u8(IFLA_BR_MCAST_SNOOPING, args["mcastSnooping"].as_bool("mcastSnooping") ? 1 : 0);
}

void put_vxlan_data(nl::Message& m, nl::Socket& sock, const Value& args) {
  m.put_u32(IFLA_VXLAN_ID, static_cast<uint32_t>(int_arg(args, "vni", 0, 0xffffff)));
  if (args.has("remote") && args.has("group"))
    throw InvalidArgument("remote", "a vxlan takes remote (unicast) or group (multicast), not both");
  if (args.has("remote")) {
    IpAddr a = ip_of(args.str("remote"), "remote");
    if (is_multicast(a)) throw InvalidArgument("remote", "remote must be a unicast address; use group for multicast");
    put_ip(m, IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6, a);
  }
  if (args.has("group")) {
    IpAddr a = ip_of(args.str("group"), "group");
    if (!is_multicast(a)) throw InvalidArgument("group", "group must be a multicast address; use remote for unicast");
    put_ip(m, IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6, a);
  }
  if (args.has("local")) put_ip(m, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6, ip_of(args.str("local"), "local"));
  if (args.has("dev") || args.has("devIndex"))
    m.put_u32(IFLA_VXLAN_LINK, static_cast<uint32_t>(ifindex_of(sock, args, "dev", "devIndex")));
  if (args.has("port")) m.put_be16(IFLA_VXLAN_PORT, static_cast<uint16_t>(int_arg(args, "port", 1, 65535)));
  if (args.has("learning")) m.put_u8(IFLA_VXLAN_LEARNING, args["learning"].as_bool("learning") ? 1 : 0);
  if (args.has("ttl")) m.put_u8(IFLA_VXLAN_TTL, static_cast<uint8_t>(int_arg(args, "ttl", 0, 255)));
}

uint16_t ipvlan_mode_of(const std::string& mode) {
  if (mode == "l2") return IPVLAN_MODE_L2;
  if (mode == "l3") return IPVLAN_MODE_L3;
  if (mode == "l3s") return IPVLAN_MODE_L3S;
  throw InvalidArgument("mode", "ipvlan mode must be l2, l3 or l3s, got '" + mode + "'");
}

uint16_t ipvlan_flags_of(const std::string& flags) {
  if (flags == "bridge") return 0;
  if (flags == "private") return IPVLAN_F_PRIVATE;
  if (flags == "vepa") return IPVLAN_F_VEPA;
  throw InvalidArgument("ipvlanFlags", "ipvlan flags must be bridge, private or vepa, got '" + flags + "'");
}

void put_vlan_data(nl::Message& m, const Value& args) {
  m.put_u16(IFLA_VLAN_ID, static_cast<uint16_t>(int_arg(args, "vlanId", 1, 4094)));
}

uint32_t macvlan_mode_of(const std::string& mode) {
  if (mode == "bridge") return MACVLAN_MODE_BRIDGE;
  if (mode == "private") return MACVLAN_MODE_PRIVATE;
  if (mode == "vepa") return MACVLAN_MODE_VEPA;
  if (mode == "passthru") return MACVLAN_MODE_PASSTHRU;
  throw InvalidArgument("mode", "macvlan mode must be bridge, private, vepa or passthru, got '" + mode + "'");
}

}  // namespace

int64_t int_arg(const Value& args, const char* key, int64_t min, int64_t max) {
  int64_t v = args.integer(key);
  if (v < min || v > max)
    throw InvalidArgument(key, std::string(key) + " must be an integer from " + std::to_string(min) + " to " +
                                   std::to_string(max) + ", got " + std::to_string(v));
  return v;
}

LinkTarget target_of(const Value& args) {
  LinkTarget t;
  if (args.has("index")) {
    t.index = static_cast<int>(int_arg(args, "index", 1, 0x7fffffff));
    return t;
  }
  if (!args.has("name")) throw InvalidArgument("name", "an interface is required: give name or index");
  t.name = check_ifname(args.str("name"), "name");
  return t;
}

uint8_t addr_gen_mode_of(const std::string& mode) {
  if (mode == "eui64") return IN6_ADDR_GEN_MODE_EUI64;
  if (mode == "none") return IN6_ADDR_GEN_MODE_NONE;
  if (mode == "stable") return IN6_ADDR_GEN_MODE_STABLE_PRIVACY;
  if (mode == "random") return IN6_ADDR_GEN_MODE_RANDOM;
  throw InvalidArgument("addrGenMode", "addrGenMode must be eui64, none, stable or random, got '" + mode + "'");
}

nl::Message link_request(uint16_t type, uint16_t flags, int index, const std::string& name, const char* op,
                         uint8_t family) {
  nl::Message m(type, flags, op, name.empty() ? "ifindex " + std::to_string(index) : name);
  put_ifinfo(m, family, index);
  if (index == 0) m.put_str(IFLA_IFNAME, name);
  return m;
}

nl::Message create_request(nl::Socket& sock, const Value& args) {
  const std::string& kind = args.str("kind");
  const std::string& name = check_ifname(args.str("name"), "name");
  nl::Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, "RTM_NEWLINK", name);
  put_ifinfo(m, AF_UNSPEC, 0);
  put_create_common(m, args, "");
  if (args.has("master") || args.has("masterIndex"))
    m.put_u32(IFLA_MASTER, static_cast<uint32_t>(ifindex_of(sock, args, "master", "masterIndex")));
  if (kind == "macvlan" || kind == "ipvlan" || kind == "vlan") {
    if (!args.has("parent") && !args.has("parentIndex"))
      throw InvalidArgument("parent", "a " + kind + " needs parent (the device it sits on)");
    // Resolved here, in the namespace of the request: the link may be created in another (netns).
    m.put_u32(IFLA_LINK, static_cast<uint32_t>(ifindex_of(sock, args, "parent", "parentIndex")));
  }
  // A stacked link created straight into its final namespace: one request, no move.
  if (args.has("netns") && kind != "veth") m.put_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(args["netns"].as_netns("netns")->fd()));
  size_t info = m.begin_nest(IFLA_LINKINFO);
  m.put_str(IFLA_INFO_KIND, kind);
  size_t data = m.begin_nest(IFLA_INFO_DATA);
  if (kind == "veth") {
    put_veth_data(m, args);
  } else if (kind == "bridge") {
    put_bridge_data(m, args);
  } else if (kind == "vxlan") {
    put_vxlan_data(m, sock, args);
  } else if (kind == "macvlan") {
    m.put_u32(IFLA_MACVLAN_MODE, macvlan_mode_of(args.str_or("mode", "bridge")));
  } else if (kind == "ipvlan") {
    m.put_u16(IFLA_IPVLAN_MODE, ipvlan_mode_of(args.str_or("mode", "l2")));
    if (args.has("ipvlanFlags")) m.put_u16(IFLA_IPVLAN_FLAGS, ipvlan_flags_of(args.str("ipvlanFlags")));
  } else if (kind == "vlan") {
    put_vlan_data(m, args);
  } else if (kind != "dummy") {
    throw InvalidArgument("kind", "kind must be veth, bridge, dummy, vxlan, macvlan, ipvlan or vlan, got '" + kind + "'");
  }
  m.end_nest(data);
  m.end_nest(info);
  return m;
}

nl::Message up_request(int index, const std::string& name, bool up) {
  nl::Message m(RTM_NEWLINK, 0, "RTM_NEWLINK", name.empty() ? "ifindex " + std::to_string(index) : name);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  ifi.ifi_flags = up ? IFF_UP : 0;
  ifi.ifi_change = IFF_UP;
  m.put_header(ifi);
  if (index == 0) m.put_str(IFLA_IFNAME, name);
  return m;
}

void put_addr_gen_mode(nl::Message& m, const std::string& mode) {
  uint8_t v = addr_gen_mode_of(mode);
  size_t spec = m.begin_nest(IFLA_AF_SPEC);
  size_t inet6 = m.begin_nest(AF_INET6);
  m.put_u8(IFLA_INET6_ADDR_GEN_MODE, v);
  m.end_nest(inet6);
  m.end_nest(spec);
}

bool put_post_create(nl::Message& m, const Value& args) {
  bool any = false;
  if (args.has("alias")) {
    m.put_text(IFLA_IFALIAS, args.str("alias"));
    any = true;
  }
  if (args.has("addrGenMode")) {
    put_addr_gen_mode(m, args.str("addrGenMode"));
    any = true;
  }
  return any;
}

nl::Message get_request(int index, const std::string& name) {
  return link_request(RTM_GETLINK, 0, index, name, "RTM_GETLINK");
}

}  // namespace netplumb::rtnl
