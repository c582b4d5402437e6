// Golden bytes of the address builders (rtnl/addr_build.cc) against `ip addr add|del`.
//
// The builder is called with the flags addr.add sends (NLM_F_CREATE |
// NLM_F_EXCL | NLM_F_ECHO: the echo is the address as the kernel stored it,
// read back without a second request), a delete with none. ip's NLM_F_ACK
// ours get from the socket.
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "check.h"
#include "core/rtnl/addr_build.h"
#include "core/rtnl/ip_text.h"
#include "golden/fixtures/rtnl_addr.h"
#include "golden/golden.h"

using namespace netplumb;
using golden::Differences;

namespace {

constexpr uint16_t kAddFlags = NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO;
constexpr int kBr0 = 3;

nl::Message add(Value args) { return rtnl::build_newaddr(rtnl::addr_spec_from_args(args, kBr0), kAddFlags); }

Differences add_differences() {
  Differences d(sizeof(ifaddrmsg));
  d.flags_only_ours = NLM_F_ECHO;
  d.flags_only_theirs = NLM_F_ACK;
  return d;
}

}  // namespace

TEST("addr add IPv4 with the broadcast computed from the prefix (brd +)") {
  golden::expect(add(Value(Object{{"address", "10.1.2.3/24"}, {"broadcast", true}})),
                 "300000001400090600000000000000000218000003000000080002000a010203"
                 "080001000a010203080004000a0102ff",
                 golden::fixtures::kAddr4Broadcast, add_differences());
}

TEST("addr add IPv4 without broadcast") {
  golden::expect(add(Value(Object{{"address", "10.1.2.4/24"}})),
                 "280000001400090600000000000000000218000003000000080002000a010204"
                 "080001000a010204",
                 golden::fixtures::kAddr4, add_differences());
}

TEST("addr add IPv6 nodad: a flag that fits ifa_flags") {
  golden::expect(add(Value(Object{{"address", "fd00::1/64"}, {"flags", Value(Object{{"nodad", true}})}})),
                 "400000001400090600000000000000000a4002000300000014000200fd000000"
                 "00000000000000000000000114000100fd000000000000000000000000000001",
                 golden::fixtures::kAddr6Nodad, add_differences());
}

TEST("addr add IPv6 nodad noprefixroute: flags past 8 bits go in IFA_FLAGS") {
  Value args(Object{{"address", "fd00::2/64"}, {"flags", Value(Object{{"nodad", true}, {"noprefixroute", true}})}});
  Differences d = add_differences();
  // ip leaves ifa_flags 0 once it sends IFA_FLAGS; ours also keep the low
  // 8 bits there (IFA_F_NODAD). The kernel takes IFA_FLAGS over ifa_flags
  // whenever it is present, so both ask for nodad | noprefixroute.
  d.header_patch_theirs.push_back({offsetof(ifaddrmsg, ifa_flags), IFA_F_NODAD});
  // ip writes IFA_FLAGS between IFA_LOCAL and IFA_ADDRESS; ours last.
  d.any_order = true;
  golden::expect(add(args),
                 "480000001400090600000000000000000a4002000300000014000200fd000000"
                 "00000000000000000000000214000100fd000000000000000000000000000002"
                 "0800080002020000",
                 golden::fixtures::kAddr6NoPrefixRoute, d);
}

TEST("addr delete: the address by its local part") {
  Differences d(sizeof(ifaddrmsg));
  d.flags_only_theirs = NLM_F_ACK;
  // ip repeats the address as IFA_ADDRESS; ours name it by IFA_LOCAL alone,
  // which the kernel matches on (IFA_ADDRESS, when given, must match too).
  d.only_theirs.push_back({{IFA_ADDRESS}});
  golden::expect(rtnl::build_deladdr(kBr0, rtnl::parse_prefix("10.1.2.4/24", "address")),
                 "200000001500010000000000000000000218000003000000080002000a010204",
                 golden::fixtures::kAddrDelete, d);
}
