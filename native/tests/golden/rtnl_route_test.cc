// Golden bytes of the route builders (rtnl/route_build.cc) against `ip route add|del`.
//
// Differences from iproute2 in every case:
// - Ours always carry RTA_TABLE (ip sends it only for tables past 255, which
//   do not fit rtm_table). The kernel takes RTA_TABLE over rtm_table and
//   both name the same table here.
// - route.add sends NLM_F_CREATE | NLM_F_EXCL, as ip does, and a delete no
//   flags; ip's NLM_F_ACK ours get from the socket.
#include <linux/rtnetlink.h>

#include "check.h"
#include "core/rtnl/route_build.h"
#include "golden/fixtures/rtnl_route.h"
#include "golden/golden.h"

using namespace netplumb;
using golden::Differences;

namespace {

constexpr int kBr0 = 3;

nl::Message add(Value args, int oif) {
  return rtnl::build_newroute(rtnl::route_spec_from_args(args, oif, false), NLM_F_CREATE | NLM_F_EXCL);
}

Differences add_differences() {
  Differences d(sizeof(rtmsg));
  d.flags_only_theirs = NLM_F_ACK;
  d.only_ours.push_back({{RTA_TABLE}});
  return d;
}

}  // namespace

TEST("route add default via a gateway, no device") {
  golden::expect(add(Value(Object{{"destination", "default"}, {"gateway", "10.1.2.1"}}), 0),
                 "2c00000018000106000000000000000002000000fe0300010000000008000f00"
                 "fe000000080005000a010201",
                 golden::fixtures::kRouteDefaultVia, add_differences());
}

TEST("route add via a gateway outside the device's subnets (onlink)") {
  Value args(Object{{"destination", "10.9.0.0/16"}, {"gateway", "10.3.0.1"}, {"onlink", true}});
  golden::expect(add(args, kBr0),
                 "3c00000018000106000000000000000002100000fe0300010400000008000f00"
                 "fe000000080001000a090000080005000a0300010800040003000000",
                 golden::fixtures::kRouteOnlink, add_differences());
}

TEST("route add on a device only: link scope") {
  golden::expect(add(Value(Object{{"destination", "10.8.0.0/16"}}), kBr0),
                 "3400000018000106000000000000000002100000fe03fd010000000008000f00"
                 "fe000000080001000a0800000800040003000000",
                 golden::fixtures::kRouteDevOnly, add_differences());
}

TEST("route add with source, metric and MTU in table 100") {
  Value args(Object{{"destination", "10.7.0.0/16"},
                    {"gateway", "10.1.2.1"},
                    {"src", "10.1.2.3"},
                    {"metric", 50},
                    {"mtu", 1400},
                    {"table", 100}});
  Differences d = add_differences();
  // RTA_METRICS is a nest, which iproute2 opens without NLA_F_NESTED.
  d.theirs_unflagged_nests = true;
  golden::expect(add(args, 0),
                 "5000000018000106000000000000000002100000640300010000000008000f00"
                 "64000000080001000a070000080005000a010201080007000a01020308000600"
                 "320000000c0008800800020078050000",
                 golden::fixtures::kRouteTableMetricMtu, d);
}

TEST("route add IPv6 via a gateway on a device") {
  Value args(Object{{"destination", "fd01::/64"}, {"gateway", "fd00::99"}});
  golden::expect(add(args, kBr0),
                 "540000001800010600000000000000000a400000fe0300010000000008000f00"
                 "fe00000014000100fd01000000000000000000000000000014000500fd000000"
                 "0000000000000000000000990800040003000000",
                 golden::fixtures::kRoute6Via, add_differences());
}

TEST("route delete on a device: any scope, type and protocol") {
  Differences d = add_differences();
  Value args(Object{{"destination", "10.8.0.0/16"}});
  golden::expect(rtnl::build_delroute(rtnl::route_spec_from_args(args, kBr0, true)),
                 "3400000019000100000000000000000002100000fe00ff000000000008000f00"
                 "fe000000080001000a0800000800040003000000",
                 golden::fixtures::kRouteDelete, d);
}
