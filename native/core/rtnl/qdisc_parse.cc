#include "core/rtnl/qdisc_parse.h"

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/exec/parsers.h"
#include "core/netlink/attrs.h"
#include "core/rtnl/parse_common.h"

namespace netplumb::rtnl {

namespace {

constexpr unsigned kPschedShift = 6;  // a scheduler tick is 64 ns

// As tc prints handles: "8001:" for a qdisc's, "1:2" for a class's.
std::string handle_text(uint32_t h) {
  if (h == TC_H_ROOT) return "root";
  if (h == TC_H_INGRESS) return "ingress";
  char buf[24];
  if (TC_H_MIN(h) == 0)
    std::snprintf(buf, sizeof buf, "%x:", TC_H_MAJ(h) >> 16);
  else
    std::snprintf(buf, sizeof buf, "%x:%x", TC_H_MAJ(h) >> 16, TC_H_MIN(h));
  return buf;
}

template <typename T>
bool read_struct(const uint8_t* data, size_t len, T& out) {
  if (len < sizeof(T)) return false;
  std::memcpy(&out, data, sizeof(T));
  return true;
}

// netem's TCA_OPTIONS: struct tc_netem_qopt, then attributes.
Value netem_options(const nl::Attr& a) {
  tc_netem_qopt q{};
  if (!read_struct(a.data, a.len, q)) return Value();
  uint64_t latency = uint64_t{q.latency} << kPschedShift;
  uint64_t jitter = uint64_t{q.jitter} << kPschedShift;
  uint64_t rate = 0;
  size_t skip = NLA_ALIGN(sizeof q);
  nl::Attrs rest(a.data + std::min(skip, a.len), a.len > skip ? a.len - skip : 0);
  if (auto l = rest.get(TCA_NETEM_LATENCY64)) latency = l->u64();
  if (auto j = rest.get(TCA_NETEM_JITTER64)) jitter = j->u64();
  if (auto r = rest.get(TCA_NETEM_RATE)) {
    tc_netem_rate nr{};
    if (read_struct(r->data, r->len, nr)) rate = nr.rate;
  }
  if (auto r = rest.get(TCA_NETEM_RATE64)) rate = r->u64();
  Value o{Object{}};
  o.set("latencyNs", static_cast<int64_t>(latency));
  o.set("jitterNs", static_cast<int64_t>(jitter));
  o.set("lossPercent", static_cast<double>(q.loss) / UINT32_MAX * 100.0);
  o.set("limit", static_cast<int64_t>(q.limit));
  if (rate) o.set("rate", static_cast<int64_t>(rate));
  return o;
}

// tbf's TCA_OPTIONS: nested attributes; the burst is the bucket (in ticks) at the rate.
Value tbf_options(const nl::Attr& a) {
  nl::Attrs attrs = a.nested();
  auto parms = attrs.get(TCA_TBF_PARMS);
  tc_tbf_qopt q{};
  if (!parms || !read_struct(parms->data, parms->len, q)) return Value();
  uint64_t rate = q.rate.rate;
  if (auto r = attrs.get(TCA_TBF_RATE64)) rate = r->u64();
  double burst = static_cast<double>(uint64_t{q.buffer} << kPschedShift) * static_cast<double>(rate) / 1e9;
  Value o{Object{}};
  o.set("rate", static_cast<int64_t>(rate));
  o.set("burst", static_cast<int64_t>(std::llround(burst)));
  o.set("limit", static_cast<int64_t>(q.limit));
  return o;
}

}  // namespace

Value parse_qdisc(const nlmsghdr* h) {
  auto [v, tc, attrs] = begin_parse<tcmsg>(h, "tcmsg", "qdisc", RTM_DELQDISC);
  v.set("index", static_cast<int64_t>(tc->tcm_ifindex));
  v.set("handle", handle_text(tc->tcm_handle));
  v.set("parent", handle_text(tc->tcm_parent));
  std::string type = attrs.get(TCA_KIND) ? attrs.get(TCA_KIND)->str() : "";
  v.set("type", type);
  if (auto opts = attrs.get(TCA_OPTIONS)) {
    Value o = type == "netem" ? netem_options(*opts) : type == "tbf" ? tbf_options(*opts) : Value();
    if (!o.is_null()) v.set(type, std::move(o));
  }
  return v;
}

Array dump_qdiscs(nl::Socket& sock, int ifindex) {
  nl::Message m(RTM_GETQDISC, 0, "RTM_GETQDISC", ifindex ? "ifindex " + std::to_string(ifindex) : "");
  tcmsg tc{};
  tc.tcm_family = AF_UNSPEC;
  m.put_header(tc);
  Array out;
  // The kernel dumps every interface's; the filter is ours.
  sock.dump(m, [&](const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWQDISC) return;
    if (ifindex && static_cast<const tcmsg*>(NLMSG_DATA(h))->tcm_ifindex != ifindex) return;
    out.push_back(parse_qdisc(h));
  });
  return out;
}

NETPLUMB_PARSER(NETLINK_ROUTE, RTM_NEWQDISC, parse_qdisc);
NETPLUMB_PARSER(NETLINK_ROUTE, RTM_DELQDISC, parse_qdisc);

}  // namespace netplumb::rtnl
