// Golden bytes of the root-qdisc builder (rtnl/qdisc_build.cc) against
// `tc qdisc replace … netem`, and the decoder (rtnl/qdisc_parse.cc) reading
// a request back into the arguments that made it. This pins netem's encoding
// where the kernel has no netem to try it on (tbf is proved against the
// kernel in test/kernel/rtnl/qdisc.test.ts).
//
// TCA_OPTIONS is flat, as tc sends it: netem's starts with a struct, so it
// is no nest; times travel in 64 ns scheduler ticks.
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "check.h"
#include "core/errors.h"
#include "core/rtnl/qdisc_build.h"
#include "core/rtnl/qdisc_parse.h"
#include "golden/fixtures/rtnl_qdisc.h"
#include "golden/golden.h"

using namespace netplumb;
using golden::Differences;

namespace {

constexpr int kV0 = 2;

Value netem_args(Value netem) { return Value(Object{{"type", "netem"}, {"netem", std::move(netem)}}); }

Value tc_settings() {
  return Value(Object{{"latencyNs", int64_t{100'000'000}}, {"jitterNs", int64_t{10'000'000}}, {"lossPercent", 5.0}, {"limit", int64_t{500}}});
}

nl::Message replace(const Value& args) { return rtnl::build_replace_root(rtnl::qdisc_spec_from_args(args, kV0)); }

}  // namespace

TEST("qdisc replace root netem: delay 100ms jitter 10ms, loss 5%, limit 500") {
  Differences d(sizeof(tcmsg));
  d.flags_only_theirs = NLM_F_ACK;
  golden::expect(replace(netem_args(tc_settings())),
                 "4c000000240001050000000000000000000000000200000000000000ffffffff"
                 "000000000a0001006e6574656d0000001c00020084d71700f4010000cdcccc0c"
                 "00000000000000005a620200",
                 golden::fixtures::kQdiscNetem, d);
}

TEST("a netem request reads back as the arguments that made it, its rate too") {
  Value settings = tc_settings();
  settings.set("rate", int64_t{125'000});
  nl::Message m = replace(netem_args(settings));
  Value q = rtnl::parse_qdisc(m.header());
  CHECK_EQ(q.str("type"), std::string("netem"));
  CHECK_EQ(q.str("parent"), std::string("root"));
  CHECK_EQ(q.integer("index"), int64_t{kV0});
  const Value& n = q["netem"];
  CHECK_EQ(n.integer("latencyNs"), int64_t{100'000'000});
  CHECK_EQ(n.integer("jitterNs"), int64_t{10'000'000});
  CHECK_EQ(n.integer("limit"), int64_t{500});
  CHECK_EQ(n.integer("rate"), int64_t{125'000});
  double loss = n["lossPercent"].as_double();
  CHECK(loss > 4.999999 && loss < 5.000001);
}

TEST("bad qdisc arguments are refused before anything is built") {
  Value loss = tc_settings();
  loss.set("lossPercent", 101.0);
  CHECK_THROWS(InvalidArgument, replace(netem_args(loss)));
  CHECK_THROWS(InvalidArgument, replace(netem_args(Value(Object{{"jitterNs", int64_t{1000}}}))));
  CHECK_THROWS(InvalidArgument, replace(Value(Object{{"type", "fq_codel"}})));
}
