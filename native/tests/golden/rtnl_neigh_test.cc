// Golden bytes of the neighbour builders (rtnl/neigh_build.cc) against
// `ip neigh add|del` and `bridge fdb add|del`.
//
// neigh.add sends NLM_F_CREATE | NLM_F_EXCL, as ip and bridge do, and a
// delete no flags; their NLM_F_ACK ours get from the socket.
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "check.h"
#include "core/rtnl/neigh_build.h"
#include "golden/fixtures/rtnl_neigh.h"
#include "golden/golden.h"

using namespace netplumb;
using golden::Differences;

namespace {

constexpr int kBr0 = 3;
constexpr int kVx0 = 4;

nl::Message add(Value args, int ifindex) {
  return rtnl::build_newneigh(rtnl::neigh_spec_from_args(args, ifindex, false), NLM_F_CREATE | NLM_F_EXCL);
}

Differences add_differences() {
  Differences d(sizeof(ndmsg));
  d.flags_only_theirs = NLM_F_ACK;
  return d;
}

}  // namespace

TEST("neigh add IPv4 permanent (the default state)") {
  golden::expect(add(Value(Object{{"address", "10.1.2.9"}, {"lladdr", "02:00:00:00:00:09"}}), kBr0),
                 "300000001c000106000000000000000002000000030000008000000008000100"
                 "0a0102090a0002000200000000090000",
                 golden::fixtures::kNeigh4Permanent, add_differences());
}

TEST("neigh add IPv6 permanent router") {
  Value args(Object{{"address", "fd00::9"}, {"lladdr", "02:00:00:00:00:0a"}, {"router", true}});
  golden::expect(add(args, kBr0),
                 "3c0000001c00010600000000000000000a000000030000008000800014000100"
                 "fd0000000000000000000000000000090a00020002000000000a0000",
                 golden::fixtures::kNeigh6Router, add_differences());
}

TEST("fdb add on a vxlan: static entry (the default) pointing at a remote VTEP, in the device's own table") {
  Value args(Object{{"family", "bridge"}, {"lladdr", "02:00:00:00:00:0c"}, {"dst", "192.0.2.3"}});
  Differences d = add_differences();
  // bridge writes NDA_LLADDR before NDA_DST; ours the other way round.
  d.any_order = true;
  golden::expect(add(args, kVx0),
                 "300000001c000106000000000000000007000000040000004200020008000100"
                 "c00002030a00020002000000000c0000",
                 golden::fixtures::kFdbStatic, d);
}

TEST("fdb add on a vxlan: permanent entry with its own VNI and port") {
  Value args(Object{{"family", "bridge"},
                    {"lladdr", "02:00:00:00:00:0b"},
                    {"dst", "192.0.2.4"},
                    {"vni", 43},
                    {"port", 4790},
                    {"self", true},
                    {"state", "permanent"}});
  Differences d = add_differences();
  d.any_order = true;
  // bridge(8) ORs NUD_NOARP into every state it sends (0xc0); ours send
  // NUD_PERMANENT alone (0x80). The bridge and vxlan drivers both take
  // NUD_PERMANENT as "never ages out" whether or not NOARP is with it; the
  // entry reads back with state 0x80 instead of 0xc0 (both "permanent").
  d.header_patch_theirs.push_back({offsetof(ndmsg, ndm_state), NUD_PERMANENT});
  golden::expect(add(args, kVx0),
                 "400000001c000106000000000000000007000000040000008000020008000100"
                 "c00002040a00020002000000000b0000080007002b0000000600060012b60000",
                 golden::fixtures::kFdbVniPort, d);
}

TEST("neigh delete: the entry by address") {
  Differences d = add_differences();
  // ip sends NUD_PERMANENT in a delete as in an add; ours send no state,
  // which the kernel does not read for a delete.
  d.header_patch_theirs.push_back({offsetof(ndmsg, ndm_state), 0});
  golden::expect(rtnl::build_delneigh(rtnl::neigh_spec_from_args(Value(Object{{"address", "10.1.2.9"}}), kBr0, true)),
                 "240000001d000100000000000000000002000000030000000000000008000100"
                 "0a010209",
                 golden::fixtures::kNeighDelete, d);
}

TEST("fdb delete on a vxlan: the entry by MAC and remote, in the device's own table") {
  Value args(Object{{"family", "bridge"}, {"lladdr", "02:00:00:00:00:0c"}, {"dst", "192.0.2.3"}, {"self", true}});
  Differences d = add_differences();
  d.any_order = true;
  // bridge(8) sends its usual NUD_NOARP | NUD_PERMANENT; ours no state (a
  // delete is matched on MAC, remote and VLAN, not on state).
  d.header_patch_theirs.push_back({offsetof(ndmsg, ndm_state), 0});
  golden::expect(rtnl::build_delneigh(rtnl::neigh_spec_from_args(args, kVx0, true)),
                 "300000001d000100000000000000000007000000040000000000020008000100"
                 "c00002030a00020002000000000c0000",
                 golden::fixtures::kFdbDelete, d);
}
