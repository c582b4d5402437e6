// The delete operations of addresses, routes and neighbours share one shape:
// read the entry (only when a later call of the plan could need it put back),
// delete it, and record how to restore it.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/exec/ops.h"
#include "core/netlink/message.h"
#include "core/value.h"

namespace netplumb::rtnl {

struct DeleteSteps {
  const char* kind;        // "address", for undo descriptions
  const char* op;          // "RTM_DELADDR", for errors
  std::string what;        // the entry, for errors and undo descriptions
  int absent_errno;        // what the kernel answers when there is no such entry
  const char* absent_text; // our text for the same when the read finds nothing
  nl::Message request;     // the delete itself
  std::function<std::optional<Value>()> find;            // the entry as the kernel reports it
  std::function<nl::Message(const Value&)> restore;      // a request that puts `found` back
};

// {..., ifExists?} → true, or false when absent and ifExists.
Value delete_with_undo(OpContext& ctx, const Value& args, DeleteSteps steps);

// Sends a delete for an undo: an entry already gone (with its device, or
// removed by someone) is not a failure.
void delete_quietly(Netns* ns, nl::Message m);

}  // namespace netplumb::rtnl
