// Opens a netlink socket in a namespace subscribed to multicast groups and
// hands its descriptor to the binding, which watches it on the JS thread.
#include <linux/netlink.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/exec/ops.h"

namespace netplumb {

namespace {

// {protocol: NETLINK_ROUTE | NETLINK_NETFILTER, groups: number[]} → fd
Value open_events(OpContext& ctx, const Value& args) {
  int64_t protocol = args.integer("protocol");
  if (protocol != NETLINK_ROUTE && protocol != NETLINK_NETFILTER)
    throw InvalidArgument("protocol", "events are offered for NETLINK_ROUTE and NETLINK_NETFILTER only");
  auto sock = ctx.ns.open_netlink(static_cast<int>(protocol));
  for (const Value& g : args["groups"].as_array("groups")) {
    int64_t group = g.as_int("groups[]");
    if (group <= 0 || group > 64) throw InvalidArgument("groups", "multicast groups are numbered 1-64");
    sock->join_group(static_cast<uint32_t>(group));
  }
  int fd = sock->release();
  ctx.undo.push("close event socket", [fd] { ::close(fd); });
  return Value(fd);
}

NETPLUMB_OP("events.open", open_events);

}  // namespace
}  // namespace netplumb
