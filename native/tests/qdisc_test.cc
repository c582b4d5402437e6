// The root-qdisc requests against what tc(8) sends for the same settings
// (bytes captured once with strace from iproute2 6.1's
// `tc qdisc replace dev v0 root netem delay 100ms 10ms loss 5% limit 500`),
// and the decoder reading a request back into the arguments that made it.
// This pins netem's encoding on kernels that lack netem to test it against.
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <vector>

#include "check.h"
#include "core/errors.h"
#include "core/rtnl/qdisc_build.h"
#include "core/rtnl/qdisc_parse.h"
#include "core/value.h"

using namespace netplumb;

namespace {

Value netem_args() {
  Value netem{Object{}};
  netem.set("latencyNs", int64_t{100'000'000});
  netem.set("jitterNs", int64_t{10'000'000});
  netem.set("lossPercent", 5.0);
  netem.set("limit", int64_t{500});
  Value args{Object{}};
  args.set("type", "netem");
  args.set("netem", netem);
  return args;
}

// After the netlink header and the tcmsg: TCA_KIND "netem" and TCA_OPTIONS as tc wrote them.
const std::vector<uint8_t> kTcNetemAttrs = {
    0x0a, 0x00, 0x01, 0x00, 'n',  'e',  't',  'e',  'm',  0x00, 0x00, 0x00,  // TCA_KIND, padded
    0x1c, 0x00, 0x02, 0x00,                                                  // TCA_OPTIONS, 28 bytes, not nested
    0x84, 0xd7, 0x17, 0x00,  // latency: 1,562,500 ticks of 64 ns = 100 ms
    0xf4, 0x01, 0x00, 0x00,  // limit 500
    0xcd, 0xcc, 0xcc, 0x0c,  // loss: 5% of UINT32_MAX, rounded
    0x00, 0x00, 0x00, 0x00,  // gap
    0x00, 0x00, 0x00, 0x00,  // duplicate
    0x5a, 0x62, 0x02, 0x00,  // jitter: 156,250 ticks = 10 ms
};

}  // namespace

TEST("a netem request carries the bytes tc sends for the same settings") {
  nl::Message m = rtnl::build_replace_root(rtnl::qdisc_spec_from_args(netem_args(), 7));
  const nlmsghdr* h = m.header();
  CHECK_EQ(h->nlmsg_type, uint16_t{RTM_NEWQDISC});
  CHECK_EQ(h->nlmsg_flags, uint16_t{NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE});
  const auto* tc = static_cast<const tcmsg*>(NLMSG_DATA(h));
  CHECK_EQ(tc->tcm_ifindex, 7);
  CHECK_EQ(tc->tcm_parent, uint32_t{TC_H_ROOT});
  CHECK_EQ(tc->tcm_handle, uint32_t{0});
  size_t attrs = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(tcmsg));
  CHECK_EQ(m.size() - attrs, kTcNetemAttrs.size());
  CHECK(std::memcmp(m.data() + attrs, kTcNetemAttrs.data(), kTcNetemAttrs.size()) == 0);
}

TEST("a netem request reads back as the arguments that made it") {
  nl::Message m = rtnl::build_replace_root(rtnl::qdisc_spec_from_args(netem_args(), 7));
  Value q = rtnl::parse_qdisc(m.header());
  CHECK_EQ(q.str("type"), std::string("netem"));
  CHECK_EQ(q.str("parent"), std::string("root"));
  CHECK_EQ(q.integer("index"), int64_t{7});
  const Value& n = q["netem"];
  CHECK_EQ(n.integer("latencyNs"), int64_t{100'000'000});
  CHECK_EQ(n.integer("jitterNs"), int64_t{10'000'000});
  CHECK_EQ(n.integer("limit"), int64_t{500});
  double loss = n["lossPercent"].as_double();
  CHECK(loss > 4.999999 && loss < 5.000001);
  CHECK(!n.has("rate"));
}

TEST("a netem rate travels in its own attribute after the struct") {
  Value args = netem_args();
  Value netem = args["netem"];
  netem.set("rate", int64_t{125'000});
  args.set("netem", netem);
  nl::Message m = rtnl::build_replace_root(rtnl::qdisc_spec_from_args(args, 7));
  CHECK_EQ(rtnl::parse_qdisc(m.header())["netem"].integer("rate"), int64_t{125'000});
}

TEST("bad qdisc arguments are refused before anything is built") {
  Value args = netem_args();
  Value netem = args["netem"];
  netem.set("lossPercent", 101.0);
  args.set("netem", netem);
  CHECK_THROWS(InvalidArgument, rtnl::qdisc_spec_from_args(args, 7));
  Value jitter_alone{Object{}};
  jitter_alone.set("jitterNs", int64_t{1000});
  args.set("netem", jitter_alone);
  CHECK_THROWS(InvalidArgument, rtnl::qdisc_spec_from_args(args, 7));
  Value other{Object{}};
  other.set("type", "fq_codel");
  CHECK_THROWS(InvalidArgument, rtnl::qdisc_spec_from_args(other, 7));
}
