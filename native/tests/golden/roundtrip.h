// decode(encode(x)) = x for nf_tables objects: a built message read back by
// the decoder registered for its type (the one dumps and events go through).
#pragma once

#include <string>

#include "core/netlink/message.h"
#include "core/value.h"

namespace golden {

// A Value as text, with object members in key order and bytes as hex: equal
// Values read the same.
std::string text(const netplumb::Value& v);

// Decodes `m` with the nf_tables parser for its message type and checks that
// every member of `x` comes back equal (the decoder may add members that the
// kernel reports, such as an empty flag list). Failures count in check.h.
void expect_decodes_to(const netplumb::nl::Message& m, const netplumb::Value& x);

}  // namespace golden
