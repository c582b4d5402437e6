// Golden-byte checks: a built message against the bytes pinned for it, and
// against what `ip`, `bridge` or `nft` sent for the same object (captured
// once with strace, see capture/capture.sh), under differences that each
// test names one by one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/netlink/message.h"
#include "core/value.h"

namespace golden {

using netplumb::Bytes;

// "0a01ff" → {0x0a, 0x01, 0xff}; whitespace is skipped.
Bytes hex(const char* text);
std::string to_hex(const Bytes& b);

// The message as it would leave: nlmsg_seq and nlmsg_pid are zero here (the
// socket numbers requests when it sends them; the kernel fills the port id).
Bytes bytes_of(const netplumb::nl::Message& m);

// One step of an attribute path: the attribute type (flags masked off) and,
// for a type that repeats at its level (NFTA_LIST_ELEM), which occurrence;
// -1 names every occurrence.
struct Step {
  uint16_t type;
  int index = -1;
};
using Path = std::vector<Step>;

struct Patch {
  Path path;
  Bytes payload;
};

// How a message of ours may differ from the captured one. Every difference
// listed must occur: a listed difference that is not there fails the check,
// so the list stays the exact account of what differs.
struct Differences {
  explicit Differences(size_t header) : family_header(header) {}
  size_t family_header;            // sizeof(ifinfomsg), sizeof(nfgenmsg), ...
  uint16_t flags_only_ours = 0;    // nlmsg_flags bits we set and the tool does not
  uint16_t flags_only_theirs = 0;  // and the other way round
  // iproute2 opens nests without NLA_F_NESTED; ours always set it.
  bool theirs_unflagged_nests = false;
  // Attribute order may differ (the kernel parses each level into a table by type).
  bool any_order = false;
  std::vector<Path> only_ours;
  std::vector<Path> only_theirs;
  // Payloads replaced in the capture before comparing (values that depend on
  // the capturing process, such as a namespace's file descriptor number).
  std::vector<Patch> patch_theirs;
  // Family-header bytes replaced in the capture before comparing: {offset, byte}.
  std::vector<std::pair<size_t, uint8_t>> header_patch_theirs;
  // Lists whose items the tool numbers 1, 2, 3, ... as attribute types,
  // where ours give each item NFTA_LIST_ELEM (1): the kernel walks a list's
  // items without looking at their type. The capture's items are read as
  // NFTA_LIST_ELEM in order before the other rules apply.
  std::vector<Path> theirs_numbered_lists;
  // Nests whose payload starts with a fixed header of this many bytes
  // (VETH_INFO_PEER carries an ifinfomsg before its attributes).
  std::vector<std::pair<Path, size_t>> nest_headers;
};

// Checks `ours` against its pinned bytes exactly, and the pinned bytes
// against the captured message under `diff` (so a pin cannot drift from what
// the tool sent). Failures are counted by check.h and printed with both
// messages' attribute trees.
void expect(const netplumb::nl::Message& ours, const char* pinned_hex, const char* captured_hex,
            const Differences& diff);

// The attribute tree of a message, one attribute per line, for failure output.
std::string dump(const Bytes& msg, size_t family_header);

}  // namespace golden
