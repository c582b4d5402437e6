#include "core/rtnl/qdisc_build.h"

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>

#include "core/errors.h"

namespace netplumb::rtnl {

namespace {

// The kernel's scheduler clock: a tick is 64 ns (PSCHED_SHIFT), and netem's
// and tbf's times travel in ticks.
constexpr unsigned kPschedShift = 6;
constexpr uint64_t kMaxTickNs = (uint64_t{UINT32_MAX} << kPschedShift);

uint32_t ticks(uint64_t ns) { return static_cast<uint32_t>(ns >> kPschedShift); }

int64_t bounded(const Value& obj, const char* key, const char* field, int64_t min, int64_t max) {
  int64_t n = obj[key].as_int(field);
  if (n < min || n > max)
    throw InvalidArgument(field, std::string(field) + " must be " + std::to_string(min) + "-" + std::to_string(max) +
                                     ", got " + std::to_string(n));
  return n;
}

NetemSpec netem_from(const Value& o) {
  NetemSpec n;
  if (!o.is_object()) throw InvalidArgument("netem", "netem options must be an object");
  if (o.has("latencyNs")) n.latency_ns = static_cast<uint64_t>(bounded(o, "latencyNs", "netem.latencyNs", 0, kMaxTickNs));
  if (o.has("jitterNs")) n.jitter_ns = static_cast<uint64_t>(bounded(o, "jitterNs", "netem.jitterNs", 0, kMaxTickNs));
  if (o.has("lossPercent")) {
    double p = o["lossPercent"].as_double("netem.lossPercent");
    if (!(p >= 0 && p <= 100)) throw InvalidArgument("netem.lossPercent", "netem.lossPercent must be 0-100");
    // As tc: the probability scaled to the full u32 range, rounded to nearest.
    n.loss = static_cast<uint32_t>(std::rint(p / 100.0 * UINT32_MAX));
  }
  if (o.has("limit")) n.limit = static_cast<uint32_t>(bounded(o, "limit", "netem.limit", 1, UINT32_MAX));
  if (o.has("rate")) n.rate = static_cast<uint32_t>(bounded(o, "rate", "netem.rate", 1, UINT32_MAX - 1));
  if (n.jitter_ns > 0 && n.latency_ns == 0)
    throw InvalidArgument("netem.jitterNs", "jitter needs a latency to vary around");
  return n;
}

TbfSpec tbf_from(const Value& o) {
  TbfSpec t;
  if (!o.is_object()) throw InvalidArgument("tbf", "tbf options must be an object");
  t.rate = static_cast<uint32_t>(bounded(o, "rate", "tbf.rate", 1, UINT32_MAX - 1));
  // Burst: at least one full-size frame, else nothing the size of an MTU ever leaves.
  t.burst = o.has("burst") ? static_cast<uint32_t>(bounded(o, "burst", "tbf.burst", 1600, UINT32_MAX)) : std::max<uint32_t>(t.rate / 10, 1600);
  t.limit = o.has("limit") ? static_cast<uint32_t>(bounded(o, "limit", "tbf.limit", 1, UINT32_MAX)) : t.burst * 2;
  return t;
}

void put_netem_options(nl::Message& m, const NetemSpec& n) {
  tc_netem_qopt q{};
  q.latency = ticks(n.latency_ns);
  q.jitter = ticks(n.jitter_ns);
  q.loss = n.loss;
  q.limit = n.limit;
  size_t opts = m.begin_container(TCA_OPTIONS);
  m.put_header(q);  // the struct first, then attributes
  if (n.rate) {
    tc_netem_rate r{};
    r.rate = n.rate;
    m.put(TCA_NETEM_RATE, &r, sizeof r);
  }
  m.end_nest(opts);
}

void put_tbf_options(nl::Message& m, const TbfSpec& t) {
  tc_tbf_qopt q{};
  // Ethernet framing known to the kernel: no rate table needs to be sent.
  q.rate.linklayer = TC_LINKLAYER_ETHERNET;
  q.rate.cell_align = -1;
  q.rate.rate = t.rate;
  q.limit = t.limit;
  // The bucket as time at the rate: burst bytes take burst/rate seconds.
  q.buffer = ticks(static_cast<uint64_t>(static_cast<double>(t.burst) * 1e9 / t.rate));
  size_t opts = m.begin_container(TCA_OPTIONS);
  m.put(TCA_TBF_PARMS, &q, sizeof q);
  m.put_u32(TCA_TBF_BURST, t.burst);
  m.end_nest(opts);
}

nl::Message qdisc_request(uint16_t type, uint16_t flags, int ifindex, const char* op) {
  nl::Message m(type, flags, op, "root qdisc of ifindex " + std::to_string(ifindex));
  tcmsg tc{};
  tc.tcm_family = AF_UNSPEC;
  tc.tcm_ifindex = ifindex;
  tc.tcm_parent = TC_H_ROOT;
  m.put_header(tc);
  return m;
}

}  // namespace

std::string QdiscSpec::describe() const { return type + " on ifindex " + std::to_string(ifindex); }

QdiscSpec qdisc_spec_from_args(const Value& args, int ifindex) {
  QdiscSpec s;
  s.ifindex = ifindex;
  s.type = args.str("type");
  if (s.type == "netem")
    s.netem = netem_from(args["netem"]);
  else if (s.type == "tbf")
    s.tbf = tbf_from(args["tbf"]);
  else
    throw InvalidArgument("type", "qdisc type must be 'netem' or 'tbf', got '" + s.type + "'");
  return s;
}

nl::Message build_replace_root(const QdiscSpec& s) {
  nl::Message m = qdisc_request(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, s.ifindex, "RTM_NEWQDISC");
  m.set_object(s.describe());
  m.put_str(TCA_KIND, s.type);
  if (s.type == "netem")
    put_netem_options(m, s.netem);
  else
    put_tbf_options(m, s.tbf);
  return m;
}

nl::Message build_delete_root(int ifindex) { return qdisc_request(RTM_DELQDISC, 0, ifindex, "RTM_DELQDISC"); }

}  // namespace netplumb::rtnl
