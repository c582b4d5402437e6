// Operations on routes: route.add, route.replace, route.delete, route.list.
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>

#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/ops/delete_with_undo.h"
#include "core/rtnl/ifindex.h"
#include "core/rtnl/route_build.h"
#include "core/rtnl/route_parse.h"

namespace netplumb::rtnl {

namespace {

int oif_of(nl::Socket& sock, const Value& args) {
  return args.has("dev") || args.has("index") ? ifindex_of(sock, args) : 0;
}

// The route the kernel would replace: same table, destination and metric
// (for a delete, also the same gateway and device when given).
std::optional<Value> find_route(nl::Socket& sock, const RouteSpec& s, bool match_nexthop) {
  std::string dst = s.dst.length == 0 ? "default" : format_ip(s.family, s.dst.ip.bytes) + "/" + std::to_string(s.dst.length);
  for (Value& r : dump_routes(sock, s.family, s.table, 0)) {
    if (r.str("destination") != dst) continue;
    if (s.metric || !match_nexthop) {
      if (static_cast<uint32_t>(r.int_or("metric", 0)) != s.effective_metric()) continue;
    }
    if (match_nexthop) {
      if (s.gateway && r.str_or("gateway", "") != format_ip(s.family, s.gateway->bytes)) continue;
      if (s.oif && r.int_or("index", 0) != s.oif) continue;
      if (s.type && route_type_value(r["type"], "type") != s.type) continue;
    }
    return std::move(r);
  }
  return std::nullopt;
}

void delete_route_quietly(Netns* ns, const RouteSpec& s) {
  nl::Message m = build_delroute(s);
  try {
    ns->rtnl().request(m);
  } catch (const NetlinkError& e) {
    // Gone already (its device went away, or someone removed it).
    if (e.err != ESRCH && e.err != ENOENT && e.err != ENODEV) throw;
  }
}

// {destination, gateway?, dev?|index?, src?, metric?, table?, scope?, protocol?,
//  type?, onlink?, mtu?, family?} → the route as the kernel reports it (or null).
Value add(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  RouteSpec s = route_spec_from_args(args, oif_of(sock, args), false);
  nl::Message m = build_newroute(s, NLM_F_CREATE | NLM_F_EXCL);
  sock.request(m);
  Netns* ns = &ctx.ns;
  ctx.undo.push("delete route " + s.describe(), [ns, s] { delete_route_quietly(ns, s); });
  return Value(true);
}

// Like add, but takes the place of a route with the same destination, table
// and metric; undo puts that route back.
Value replace(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  RouteSpec s = route_spec_from_args(args, oif_of(sock, args), false);
  std::optional<Value> before = find_route(sock, s, false);
  nl::Message m = build_newroute(s, NLM_F_CREATE | NLM_F_REPLACE);
  sock.request(m);
  Netns* ns = &ctx.ns;
  if (before) {
    RouteSpec old = route_spec_from_parsed(*before);
    ctx.undo.push("restore route " + old.describe(), [ns, old] {
      nl::Message back = build_newroute(old, NLM_F_CREATE | NLM_F_REPLACE);
      ns->rtnl().request(back);
    });
    return Value(std::move(*before));
  }
  ctx.undo.push("delete route " + s.describe(), [ns, s] { delete_route_quietly(ns, s); });
  return Value(nullptr);
}

// {destination, gateway?, dev?|index?, metric?, table?, type?, protocol?, scope?,
//  family?, ifExists?} → true, or false when absent and ifExists.
Value remove(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  RouteSpec s = route_spec_from_args(args, oif_of(sock, args), true);
  return delete_with_undo(
      ctx, args,
      {"route", "RTM_DELROUTE", s.describe(), ESRCH, "no such route", build_delroute(s),
       [&] { return find_route(sock, s, true); },
       [](const Value& before) { return build_newroute(route_spec_from_parsed(before), NLM_F_CREATE | NLM_F_EXCL); }});
}

// {family?: 4|6, table?, dev?|index?} → routes of every table unless one is named.
Value list(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  int af = args.has("family") ? af_of_family_number(args.integer("family"), "family") : AF_UNSPEC;
  uint32_t table = args.has("table") ? route_table_value(args["table"], "table") : 0;
  return Value(dump_routes(sock, af, table, oif_of(sock, args)));
}

NETPLUMB_OP("route.add", add);
NETPLUMB_OP("route.replace", replace);
NETPLUMB_OP("route.delete", remove);
NETPLUMB_OP("route.list", list);

}  // namespace
}  // namespace netplumb::rtnl
