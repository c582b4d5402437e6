// Operations on an interface's root qdisc: qdisc.replace, qdisc.delete,
// qdisc.list. The qdiscs we build (netem, tbf) read back in the shape
// qdisc.replace takes, so an undo puts back the one that was there.
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <optional>

#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/rtnl/ifindex.h"
#include "core/rtnl/qdisc_build.h"
#include "core/rtnl/qdisc_parse.h"

namespace netplumb::rtnl {

namespace {

// The interface's root qdisc when it is one of ours to rebuild; the kernel's
// default (noqueue, pfifo_fast, mq: handle 0 or no options we build) is nullopt.
std::optional<Value> rebuildable_root(nl::Socket& sock, int ifindex) {
  for (Value& q : dump_qdiscs(sock, ifindex)) {
    if (q.str("parent") != "root") continue;
    const std::string& type = q.str("type");
    if ((type == "netem" || type == "tbf") && q.has(type)) return std::move(q);
  }
  return std::nullopt;
}

bool has_root(nl::Socket& sock, int ifindex) {
  for (const Value& q : dump_qdiscs(sock, ifindex))
    if (q.str("parent") == "root" && q.str("handle") != "0:") return true;
  return false;
}

void delete_root_quietly(nl::Socket& sock, int ifindex) {
  nl::Message m = build_delete_root(ifindex);
  try {
    sock.request(m);
  } catch (const NetlinkError& e) {
    // Gone already (with its interface, or the default is back).
    if (e.err != ENOENT && e.err != ENODEV && e.err != EINVAL) throw;
  }
}

void restore(nl::Socket& sock, const Value& before) {
  QdiscSpec s = qdisc_spec_from_args(before, static_cast<int>(before.integer("index")));
  nl::Message m = build_replace_root(s);
  sock.request(m);
}

// {dev|index, type: 'netem'|'tbf', netem?|tbf?} → true. Replaces whatever
// root qdisc the interface has; the undo puts a netem or tbf back, or
// deletes ours so the kernel's default returns.
Value replace(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  int ifindex = ifindex_of(sock, args);
  QdiscSpec s = qdisc_spec_from_args(args, ifindex);
  std::optional<Value> before = ctx.later_calls ? rebuildable_root(sock, ifindex) : std::nullopt;
  nl::Message m = build_replace_root(s);
  sock.request(m);
  Netns* ns = &ctx.ns;
  if (before)
    ctx.undo.push("restore " + before->str("type") + " qdisc", [ns, b = *before] { restore(ns->rtnl(), b); });
  else
    ctx.undo.push("delete " + s.describe(), [ns, ifindex] { delete_root_quietly(ns->rtnl(), ifindex); });
  return Value(true);
}

// {dev|index, ifExists?} → true, or false when the interface has only the
// kernel's default and ifExists.
Value remove(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  int ifindex = ifindex_of(sock, args);
  if (!has_root(sock, ifindex)) {
    if (args.bool_or("ifExists", false)) return Value(false);
    throw NetlinkError(ENOENT, "RTM_DELQDISC", "root qdisc of ifindex " + std::to_string(ifindex),
                       "the interface has only the kernel's default qdisc");
  }
  std::optional<Value> before = ctx.later_calls ? rebuildable_root(sock, ifindex) : std::nullopt;
  nl::Message m = build_delete_root(ifindex);
  sock.request(m);
  Netns* ns = &ctx.ns;
  if (before) ctx.undo.push("restore " + before->str("type") + " qdisc", [ns, b = *before] { restore(ns->rtnl(), b); });
  return Value(true);
}

// {dev?|index?} → qdiscs of the namespace, or of one interface.
Value list(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  int ifindex = args.has("dev") || args.has("index") ? ifindex_of(sock, args) : 0;
  return Value(dump_qdiscs(sock, ifindex));
}

NETPLUMB_OP("qdisc.replace", replace);
NETPLUMB_OP("qdisc.delete", remove);
NETPLUMB_OP("qdisc.list", list);

}  // namespace
}  // namespace netplumb::rtnl
