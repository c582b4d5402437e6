// Decoders for messages the kernel sends unasked (events) or in dumps, by
// netlink protocol and message type, so one decoder serves both.
#pragma once

#include <linux/netlink.h>

#include "core/registry_macros.h"
#include "core/value.h"

namespace netplumb {

using ParseFn = Value (*)(const nlmsghdr*);

class Parsers {
 public:
  static void add(int protocol, uint16_t msg_type, ParseFn fn);
  // The decoded message, or an object {type: number} when no decoder is known.
  static Value parse(int protocol, const nlmsghdr* h);
};

}  // namespace netplumb

#define NETPLUMB_PARSER(protocol, type, fn)                                 \
  static const bool NETPLUMB_CAT(netplumb_parser_registered_, __LINE__) = \
      (::netplumb::Parsers::add(protocol, type, fn), true)
