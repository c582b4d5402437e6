// Operations on interface addresses: addr.add, addr.delete, addr.list.
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>

#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/rtnl/addr_build.h"
#include "core/rtnl/addr_parser.h"
#include "core/rtnl/ifindex.h"

namespace netplumb::rtnl {

namespace {

std::optional<Value> find_address(nl::Socket& sock, int ifindex, const Prefix& p) {
  std::string text = format_ip(p.ip.family, p.ip.bytes);
  for (Value& a : dump_addresses(sock, p.ip.family, ifindex))
    if (a.str("address") == text && a.integer("prefixLength") == p.length) return std::move(a);
  return std::nullopt;
}

void delete_quietly_if_gone(Netns* ns, int ifindex, const Prefix& p) {
  nl::Message m = build_deladdr(ifindex, p);
  try {
    ns->rtnl().request(m);
  } catch (const NetlinkError& e) {
    // Already gone (with its interface, or by someone else): nothing to undo.
    if (e.err != EADDRNOTAVAIL && e.err != ENODEV && e.err != ENOENT) throw;
  }
}

// {dev|index, address, broadcast?, peer?, scope?, label?, flags?, validLifetime?,
//  preferredLifetime?, replace?} → the address as the kernel reports it.
Value add(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  int ifindex = ifindex_of(sock, args);
  AddrSpec spec = addr_spec_from_args(args, ifindex);
  bool replace = args.bool_or("replace", false);
  bool existed = replace && find_address(sock, ifindex, spec.local).has_value();
  nl::Message m = build_newaddr(spec, NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL));
  sock.request(m);
  // A replaced address stays on undo (its old lifetimes are not restorable); a new one goes.
  if (!existed) {
    Netns* ns = &ctx.ns;
    Prefix p = spec.local;
    ctx.undo.push("delete address " + spec.describe(), [ns, ifindex, p] { delete_quietly_if_gone(ns, ifindex, p); });
  }
  std::optional<Value> got = find_address(sock, ifindex, spec.local);
  if (!got) throw NetlinkError(EADDRNOTAVAIL, "RTM_GETADDR", spec.describe(), "the address vanished right after it was added");
  return std::move(*got);
}

// {dev|index, address, ifExists?} → true, or false when absent and ifExists.
Value remove(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  int ifindex = ifindex_of(sock, args);
  Prefix p = parse_prefix(args.str("address"), "address");
  std::optional<Value> before = find_address(sock, ifindex, p);
  if (!before) {
    if (args.bool_or("ifExists", false)) return Value(false);
    throw NetlinkError(EADDRNOTAVAIL, "RTM_DELADDR", args.str("address") + " on ifindex " + std::to_string(ifindex),
                       "no such address on the interface");
  }
  nl::Message m = build_deladdr(ifindex, p);
  sock.request(m);
  AddrSpec again = addr_spec_from_parsed(*before);
  Netns* ns = &ctx.ns;
  ctx.undo.push("restore address " + again.describe(), [ns, again] {
    nl::Message back = build_newaddr(again, NLM_F_CREATE | NLM_F_EXCL);
    ns->rtnl().request(back);
  });
  return Value(true);
}

// {dev?|index?, family?: 4|6} → addresses.
Value list(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  int ifindex = args.has("dev") || args.has("index") ? ifindex_of(sock, args) : 0;
  int af = args.has("family") ? af_of_family_number(args.integer("family"), "family") : AF_UNSPEC;
  return Value(dump_addresses(sock, af, ifindex));
}

NETPLUMB_OP("addr.add", add);
NETPLUMB_OP("addr.delete", remove);
NETPLUMB_OP("addr.list", list);

}  // namespace
}  // namespace netplumb::rtnl
