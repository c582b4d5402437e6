#include "core/ops/delete_with_undo.h"

#include <cerrno>
#include <memory>

#include "core/errors.h"
#include "core/netns/netns.h"

namespace netplumb::rtnl {

Value delete_with_undo(OpContext& ctx, const Value& args, DeleteSteps steps) {
  bool if_exists = args.bool_or("ifExists", false);
  std::optional<Value> before;
  if (ctx.later_calls) {
    before = steps.find();
    if (!before) {
      if (if_exists) return Value(false);
      throw NetlinkError(steps.absent_errno, steps.op, steps.what, steps.absent_text);
    }
  }
  try {
    ctx.ns.rtnl().request(steps.request);
  } catch (const NetlinkError& e) {
    // Without the read, the kernel's answer says the entry was not there.
    if (!before && if_exists && e.err == steps.absent_errno) return Value(false);
    throw;
  }
  if (before) {
    Netns* ns = &ctx.ns;
    nl::Message back = steps.restore(*before);
    auto shared = std::make_shared<nl::Message>(std::move(back));
    ctx.undo.push(std::string("restore ") + steps.kind + " " + steps.what, [ns, shared] { ns->rtnl().request(*shared); });
  }
  return Value(true);
}

void delete_quietly(Netns* ns, nl::Message m) {
  try {
    ns->rtnl().request(m);
  } catch (const NetlinkError& e) {
    if (e.err != ENOENT && e.err != ENODEV && e.err != ESRCH) throw;
  }
}

}  // namespace netplumb::rtnl
