// Golden bytes of the link builders (rtnl/link_build.cc) against `ip link`.
// link.set's own request (mtu, master, address, name, namespace, ...) is
// built inside ops/link_set.cc, out of reach of a test; link set up,
// the alias and the address generation mode go through link_build.cc.
//
// Differences from iproute2 that hold for every case here, each harmless to
// the kernel:
// - iproute2 opens nests without NLA_F_NESTED; ours set it (the kernel masks
//   the flag off the type, and strict validation asks for it on new attributes).
// - iproute2 sends IFLA_INFO_KIND without its NUL; ours carry one. Both pass
//   the NLA_STRING policy, which ends the string at the first NUL or at the
//   attribute's end (the capture is patched to the NUL-terminated form).
// - Link creation: ours add NLM_F_ECHO, so the kernel answers with the new
//   link and its ifindex (no second lookup). NLM_F_ACK, which ip sets, ours
//   get from the socket when sent, so it is not in the builder's bytes.
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "check.h"
#include "core/netlink/socket.h"
#include "core/netns/netns.h"
#include "core/rtnl/link_build.h"
#include "golden/fixtures/rtnl_link.h"
#include "golden/golden.h"

using namespace netplumb;
using golden::Differences;
using golden::Path;
using golden::hex;

namespace {

const Path kKind = {{IFLA_LINKINFO}, {IFLA_INFO_KIND}};

Differences create_differences(const char* kind_with_nul) {
  Differences d(sizeof(ifinfomsg));
  d.flags_only_ours = NLM_F_ECHO;
  d.flags_only_theirs = NLM_F_ACK;
  d.theirs_unflagged_nests = true;
  d.patch_theirs.push_back({kKind, Bytes(kind_with_nul, kind_with_nul + std::strlen(kind_with_nul) + 1)});
  return d;
}

// A change to an existing link, or its removal: the same flags as ip but
// NLM_F_ACK, which ours get from the socket.
Differences change_differences() {
  Differences d(sizeof(ifinfomsg));
  d.flags_only_theirs = NLM_F_ACK;
  return d;
}

// What link.add sends after creating link 2 (v0) for what the kernel ignores at creation.
nl::Message post_create(const Value& args) {
  nl::Message m = rtnl::link_request(RTM_NEWLINK, 0, 2, "", "RTM_NEWLINK");
  CHECK(rtnl::put_post_create(m, args));
  return m;
}

// Names given as indexes, so that no lookup goes to the kernel; the socket is
// only what create_request resolves names on.
nl::Socket& route_socket() {
  static nl::Socket s(NETLINK_ROUTE);
  return s;
}

}  // namespace

TEST("link add veth: the peer is created under its name in another namespace, by descriptor") {
  // The namespace handle sits at descriptor 100 (the lowest free one from
  // 100 up, in a process that holds only a few), so the bytes are fixed.
  int raw = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  CHECK(raw >= 0);
  int fd = fcntl(raw, F_DUPFD_CLOEXEC, 100);
  ::close(raw);
  CHECK_EQ(fd, 100);
  auto peerns = std::make_shared<Netns>(fd, "peerns");
  Value peer(Object{{"name", "v1"}, {"netns", Value(peerns)}});
  Value args(Object{{"kind", "veth"}, {"name", "v0"}, {"peer", peer}});
  Differences d = create_differences("veth");
  // Ours name the peer before its namespace; ip the other way round.
  d.any_order = true;
  // The descriptor number is the sending process's: ip held /run/netns/peerns as 4.
  d.patch_theirs.push_back({{{IFLA_LINKINFO}, {IFLA_INFO_DATA}, {VETH_INFO_PEER}, {IFLA_NET_NS_FD}}, hex("64000000")});
  d.nest_headers.push_back({{{IFLA_LINKINFO}, {IFLA_INFO_DATA}, {VETH_INFO_PEER}}, sizeof(ifinfomsg)});
  golden::expect(rtnl::create_request(route_socket(), args),
                 "6000000010000906000000000000000000000000000000000000000000000000"
                 "0700030076300000380012800900010076657468000000002800028024000180"
                 "00000000000000000000000000000000070003007631000008001c0064000000",
                 golden::fixtures::kVethPeerNetns, d);
}

TEST("link add bridge: STP on, forward delay and ageing time in centiseconds, no multicast snooping") {
  Value args(Object{{"kind", "bridge"},
                    {"name", "br0"},
                    {"stp", true},
                    {"forwardDelay", 15000},
                    {"ageingTime", 300000},
                    {"mcastSnooping", false}});
  golden::expect(rtnl::create_request(route_socket(), args),
                 "5c00000010000906000000000000000000000000000000000000000000000000"
                 "0800030062723000340012800b00010062726964676500002400028008000500"
                 "0100000008000100dc05000008000400307500000500170000000000",
                 golden::fixtures::kBridge, create_differences("bridge"));
}

TEST("link add vxlan: unicast remote, local, underlay device, port, no learning, ttl") {
  Value args(Object{{"kind", "vxlan"},
                    {"name", "vx0"},
                    {"vni", 42},
                    {"remote", "192.0.2.1"},
                    {"local", "192.0.2.2"},
                    {"devIndex", 2},
                    {"port", 4789},
                    {"learning", false},
                    {"ttl", 64}});
  Differences d = create_differences("vxlan");
  // ip writes IFLA_VXLAN_* in the order it parses them; ours in a fixed order.
  d.any_order = true;
  golden::expect(rtnl::create_request(route_socket(), args),
                 "7400000010000906000000000000000000000000000000000000000000000000"
                 "08000300767830004c0012800a00010076786c616e0000003c00028008000100"
                 "2a00000008000200c000020108000400c0000202080003000200000006000f00"
                 "12b5000005000700000000000500050040000000",
                 golden::fixtures::kVxlan, d);
}

TEST("link add macvlan: bridge mode on a parent given by index") {
  Value args(Object{{"kind", "macvlan"}, {"name", "mv0"}, {"parentIndex", 2}, {"mode", "bridge"}});
  Differences d = create_differences("macvlan");
  // ip puts IFLA_LINK before IFLA_IFNAME.
  d.any_order = true;
  golden::expect(rtnl::create_request(route_socket(), args),
                 "4c00000010000906000000000000000000000000000000000000000000000000"
                 "080003006d76300008000500020000001c0012800c0001006d6163766c616e00"
                 "0c0002800800010004000000",
                 golden::fixtures::kMacvlan, d);
}

TEST("link set up: IFF_UP in flags and change, by index") {
  golden::expect(rtnl::up_request(2, "", true),
                 "2000000010000100000000000000000000000000020000000100000001000000",
                 golden::fixtures::kSetUp, change_differences());
}

TEST("link set alias after creation, by index") {
  nl::Message m = post_create(Value(Object{{"alias", "uplink"}}));
  // Without a NUL, as ip sends it: the kernel's limit (255) counts the text alone.
  golden::expect(m,
                 "2c00000010000100000000000000000000000000020000000000000000000000"
                 "0a00140075706c696e6b0000",
                 golden::fixtures::kSetAlias, change_differences());
}

TEST("link set IPv6 address generation mode none after creation, by index") {
  nl::Message m = post_create(Value(Object{{"addrGenMode", "none"}}));
  Differences d = change_differences();
  d.theirs_unflagged_nests = true;
  golden::expect(m,
                 "3000000010000100000000000000000000000000020000000000000000000000"
                 "10001a800c000a800500080001000000",
                 golden::fixtures::kSetAddrGenMode, d);
}

TEST("link delete by index") {
  golden::expect(rtnl::link_request(RTM_DELLINK, 0, 5, "", "RTM_DELLINK"),
                 "2000000011000100000000000000000000000000050000000000000000000000",
                 golden::fixtures::kLinkDelete, change_differences());
}
