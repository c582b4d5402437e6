#include "golden/roundtrip.h"

#include <linux/netlink.h>

#include <cstdio>

#include "check.h"
#include "core/exec/parsers.h"
#include "golden/golden.h"

namespace golden {

using netplumb::Value;

std::string text(const Value& v) {
  if (v.is_null()) return "null";
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  if (v.is_int()) return std::to_string(v.as_int());
  if (v.is_number()) return std::to_string(v.as_double());
  if (v.is_string()) return "\"" + v.as_string() + "\"";
  if (v.is_bytes()) return "0x" + to_hex(v.as_bytes());
  if (v.is_netns()) return "<netns>";
  std::string s;
  if (v.is_array()) {
    for (const Value& x : v.as_array()) s += (s.empty() ? "" : ", ") + text(x);
    return "[" + s + "]";
  }
  for (const auto& [k, x] : v.as_object()) s += (s.empty() ? "" : ", ") + k + ": " + text(x);
  return "{" + s + "}";
}

void expect_decodes_to(const netplumb::nl::Message& m, const Value& x) {
  Bytes b = bytes_of(m);
  Value got = netplumb::Parsers::parse(NETLINK_NETFILTER, reinterpret_cast<const nlmsghdr*>(b.data()));
  bool failed = false;
  for (const auto& [k, want] : x.as_object()) {
    if (text(got[k]) == text(want)) continue;
    std::printf("  %s: decoded %s, encoded %s\n", k.c_str(), text(got[k]).c_str(), text(want).c_str());
    failed = true;
  }
  if (failed) check::failures()++;
}

}  // namespace golden
