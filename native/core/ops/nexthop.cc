// Operations on nexthop objects: nexthop.add, nexthop.delete, nexthop.list.
#include <linux/rtnetlink.h>

#include <cerrno>
#include <optional>

#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/ops/delete_with_undo.h"
#include "core/rtnl/ifindex.h"
#include "core/rtnl/nexthop_build.h"
#include "core/rtnl/nexthop_parse.h"

namespace netplumb::rtnl {

namespace {

int oif_of(nl::Socket& sock, const Value& args) {
  return args.has("dev") || args.has("index") ? ifindex_of(sock, args) : 0;
}

// {id, gateway?, dev|index, onlink?, blackhole?} → true
Value add(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  NexthopSpec s = nexthop_spec_from_args(args, oif_of(sock, args));
  nl::Message m = build_newnexthop(s, NLM_F_CREATE | NLM_F_EXCL);
  sock.request(m);
  Netns* ns = &ctx.ns;
  uint32_t id = s.id;
  ctx.undo.push("delete " + s.describe(), [ns, id] { delete_quietly(ns, build_delnexthop(id)); });
  return Value(true);
}

// {id, ifExists?} → true, or false when absent and ifExists. The kernel
// deletes the routes that use it with it; undo brings back the nexthop only.
Value remove(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  int64_t id = args.integer("id");
  if (id < 1 || id > 0xFFFFFFFFLL) throw InvalidArgument("id", "a nexthop id must be 1-4294967295");
  uint32_t nhid = static_cast<uint32_t>(id);
  return delete_with_undo(
      ctx, args,
      {"nexthop", "RTM_DELNEXTHOP", "nexthop " + std::to_string(nhid), ENOENT, "no such nexthop", build_delnexthop(nhid),
       [&]() -> std::optional<Value> {
         for (Value& nh : dump_nexthops(sock, 0))
           if (nh.int_or("id", 0) == id) return std::move(nh);
         return std::nullopt;
       },
       [](const Value& before) { return build_newnexthop(nexthop_spec_from_parsed(before), NLM_F_CREATE | NLM_F_EXCL); }});
}

// {dev?|index?} → nexthop objects, optionally only those leaving by one device.
Value list(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  return Value(dump_nexthops(sock, oif_of(sock, args)));
}

NETPLUMB_OP("nexthop.add", add);
NETPLUMB_OP("nexthop.delete", remove);
NETPLUMB_OP("nexthop.list", list);

}  // namespace
}  // namespace netplumb::rtnl
