// Operations on neighbour entries (ARP, NDP) and bridge FDB entries:
// neigh.add, neigh.delete, neigh.list.
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>

#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/ops/delete_with_undo.h"
#include "core/rtnl/ifindex.h"
#include "core/rtnl/neigh_build.h"
#include "core/rtnl/neigh_parse.h"

namespace netplumb::rtnl {

namespace {

std::optional<Value> find_entry(nl::Socket& sock, const NeighSpec& s) {
  for (Value& e : dump_neighbours(sock, s.is_bridge() ? AF_BRIDGE : AF_UNSPEC, s.ifindex))
    if (neigh_matches(s, e)) return std::move(e);
  return std::nullopt;
}

void delete_quietly(Netns* ns, const NeighSpec& s) {
  nl::Message m = build_delneigh(s);
  try {
    ns->rtnl().request(m);
  } catch (const NetlinkError& e) {
    if (e.err != ENOENT && e.err != ENODEV) throw;  // gone with its device, or removed already
  }
}

// ARP/NDP: {dev|index, address, lladdr, state?, router?, replace?}
// FDB: {family:'bridge', dev|index, lladdr, dst?, vni?, port?, vlan?, master?, self?, state?, replace?}
Value add(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  NeighSpec s = neigh_spec_from_args(args, ifindex_of(sock, args), false);
  bool replace = args.bool_or("replace", false);
  std::optional<Value> before = replace ? find_entry(sock, s) : std::nullopt;
  nl::Message m = build_newneigh(s, NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL));
  sock.request(m);
  Netns* ns = &ctx.ns;
  if (before) {
    NeighSpec old = neigh_spec_from_parsed(*before);
    ctx.undo.push("restore neighbour " + old.describe(), [ns, old] {
      nl::Message back = build_newneigh(old, NLM_F_CREATE | NLM_F_REPLACE);
      ns->rtnl().request(back);
    });
  } else {
    ctx.undo.push("delete neighbour " + s.describe(), [ns, s] { delete_quietly(ns, s); });
  }
  return Value(true);
}

// ARP/NDP: {dev|index, address, ifExists?}; FDB: {family:'bridge', dev|index, lladdr, vlan?, dst?, vni?, master?, self?, ifExists?}
Value remove(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  NeighSpec s = neigh_spec_from_args(args, ifindex_of(sock, args), true);
  return delete_with_undo(
      ctx, args,
      {"neighbour", "RTM_DELNEIGH", s.describe(), ENOENT, "no such neighbour entry", build_delneigh(s),
       [&] { return find_entry(sock, s); },
       [](const Value& before) { return build_newneigh(neigh_spec_from_parsed(before), NLM_F_CREATE | NLM_F_EXCL); }});
}

// {dev?|index?, family?: 4|6|'bridge'} → ARP and NDP entries, or the FDB.
Value list(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  int ifindex = args.has("dev") || args.has("index") ? ifindex_of(sock, args) : 0;
  int af = AF_UNSPEC;
  const Value& fam = args["family"];
  if (fam.is_string()) {
    if (fam.as_string() != "bridge") throw InvalidArgument("family", "family must be 4, 6 or 'bridge'");
    af = AF_BRIDGE;
  } else if (!fam.is_null()) {
    af = af_of_family_number(fam.as_int("family"), "family");
  }
  Array all = dump_neighbours(sock, af == AF_BRIDGE ? AF_BRIDGE : AF_UNSPEC, ifindex);
  if (af == AF_INET || af == AF_INET6) {
    Array only;
    int64_t want = family_number(af);
    for (Value& e : all)
      if (e["family"].is_int() && e.integer("family") == want) only.push_back(std::move(e));
    return Value(std::move(only));
  }
  return Value(std::move(all));
}

NETPLUMB_OP("neigh.add", add);
NETPLUMB_OP("neigh.delete", remove);
NETPLUMB_OP("neigh.list", list);

}  // namespace
}  // namespace netplumb::rtnl
