// Operations on interface addresses: addr.add, addr.delete, addr.list.
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>

#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/rtnl/addr_build.h"
#include "core/rtnl/addr_parse.h"
#include "core/ops/delete_with_undo.h"
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

// One address by RTM_GETADDR without a dump (IPv6 answers these; IPv4 has
// no such request and falls back to a dump of the interface).
std::optional<Value> get_address(nl::Socket& sock, int ifindex, const Prefix& p) {
  if (p.ip.family == AF_INET6) {
    nl::Message m(RTM_GETADDR, 0, "RTM_GETADDR", format_ip(p.ip.family, p.ip.bytes));
    ifaddrmsg ifa{};
    ifa.ifa_family = AF_INET6;
    ifa.ifa_index = static_cast<uint32_t>(ifindex);
    m.put_header(ifa);
    m.put_bytes(IFA_ADDRESS, p.ip.bytes);
    std::optional<Value> got;
    try {
      sock.request(m, [&](size_t, const nlmsghdr* h) {
        if (h->nlmsg_type == RTM_NEWADDR) got = parse_address(h);
      });
    } catch (const NetlinkError& e) {
      if (e.err != EOPNOTSUPP && e.err != EINVAL) throw;
    }
    if (got && got->integer("prefixLength") == p.length) return got;
  }
  return find_address(sock, ifindex, p);
}

// {dev|index, address, broadcast?, peer?, scope?, label?, flags?, validLifetime?,
//  preferredLifetime?, replace?, readBack?} → the address as the kernel reports it;
//  with readBack: false, {address} as given.
Value add(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  int ifindex = ifindex_of(sock, args);
  AddrSpec spec = addr_spec_from_args(args, ifindex);
  bool replace = args.bool_or("replace", false);
  bool existed = replace && find_address(sock, ifindex, spec.local).has_value();
  // readBack: false — nothing echoed or read: the caller keeps its own record of what it added.
  bool read_back = args.bool_or("readBack", true);
  // IPv4 echoes the new address back to the sender; IPv6 does not, so it is read after.
  nl::Message m = build_newaddr(spec, NLM_F_CREATE | (read_back ? NLM_F_ECHO : 0) | (replace ? NLM_F_REPLACE : NLM_F_EXCL));
  std::optional<Value> echoed;
  sock.request(m, [&](size_t, const nlmsghdr* h) {
    if (h->nlmsg_type == RTM_NEWADDR) echoed = parse_address(h);
  });
  // A replaced address stays on undo (its old lifetimes are not restorable); a new one goes.
  if (!existed) {
    Netns* ns = &ctx.ns;
    Prefix p = spec.local;
    ctx.undo.push("delete address " + spec.describe(), [ns, ifindex, p] { delete_quietly_if_gone(ns, ifindex, p); });
  }
  if (!read_back) return Value(Object{{"address", Value(args.str("address"))}});
  if (echoed) return std::move(*echoed);
  std::optional<Value> got = get_address(sock, ifindex, spec.local);
  if (!got) throw NetlinkError(EADDRNOTAVAIL, "RTM_GETADDR", spec.describe(), "the address vanished right after it was added");
  return std::move(*got);
}

// {dev|index, address, ifExists?} → true, or false when absent and ifExists.
Value remove(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  int ifindex = ifindex_of(sock, args);
  Prefix p = parse_prefix(args.str("address"), "address");
  return delete_with_undo(
      ctx, args,
      {"address", "RTM_DELADDR", args.str("address") + " on ifindex " + std::to_string(ifindex), EADDRNOTAVAIL,
       "no such address on the interface", build_deladdr(ifindex, p),
       [&] { return find_address(sock, ifindex, p); },
       [](const Value& before) { return build_newaddr(addr_spec_from_parsed(before), NLM_F_CREATE | NLM_F_EXCL); }});
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
