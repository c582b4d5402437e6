// RTM_NEWQDISC / RTM_DELQDISC requests for an interface's root qdisc: netem
// (delay, jitter, loss, rate: a bad link for tests) and tbf (a rate limit).
// TCA_OPTIONS is written as tc(8) writes it: a flat attribute, not flagged
// as a nest (netem's starts with a struct), so the bytes equal tc's.
#pragma once

#include <cstdint>
#include <string>

#include "core/netlink/message.h"
#include "core/value.h"

namespace netplumb::rtnl {

struct NetemSpec {
  uint64_t latency_ns = 0;
  uint64_t jitter_ns = 0;
  uint32_t loss = 0;      // probability scaled to UINT32_MAX, as the kernel keeps it
  uint32_t limit = 1000;  // packets queued (tc's default)
  uint32_t rate = 0;      // bytes per second; 0: no rate limit
};

struct TbfSpec {
  uint32_t rate = 0;   // bytes per second
  uint32_t burst = 0;  // bytes
  uint32_t limit = 0;  // bytes queued
};

struct QdiscSpec {
  int ifindex = 0;
  std::string type;  // "netem" or "tbf"
  NetemSpec netem;
  TbfSpec tbf;

  std::string describe() const;
};

// From {type, netem: {latencyNs?, jitterNs?, lossPercent?, limit?, rate?}} or
// {type, tbf: {rate, burst?, limit?}}; every value checked before anything is sent.
QdiscSpec qdisc_spec_from_args(const Value& args, int ifindex);

// Creates or replaces the root qdisc (NLM_F_CREATE | NLM_F_REPLACE, as `tc qdisc replace`).
nl::Message build_replace_root(const QdiscSpec& s);
// Deletes the root qdisc; the kernel puts the interface's default back.
nl::Message build_delete_root(int ifindex);

}  // namespace netplumb::rtnl
