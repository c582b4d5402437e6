// link.add, link.delete, link.get, link.list.
#include <linux/rtnetlink.h>

#include <cerrno>

#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/netns/netns.h"
#include "core/rtnl/ifindex.h"
#include "core/rtnl/link_build.h"
#include "core/rtnl/link_parse.h"
#include "core/rtnl/link_read.h"

namespace netplumb::rtnl {

namespace {

void delete_link(nl::Socket& sock, int index, const std::string& name) {
  // By ifindex when known; by name in a namespace where the index was never read.
  nl::Message m = link_request(RTM_DELLINK, 0, index, index ? "" : name, "RTM_DELLINK");
  m.set_object(name);
  try {
    sock.request(m);
  } catch (const NetlinkError& e) {
    if (e.err != ENODEV) throw;  // already gone (with its namespace, or its veth peer)
  }
}

// Everything that could be refused as input is checked before the link exists.
void check_add_args(const Value& args) {
  if (args.has("addrGenMode")) addr_gen_mode_of(args.str("addrGenMode"));
  if (args.has("alias")) args.str("alias");
  const Value& peer = args["peer"];
  if (peer.is_object() && peer.has("addrGenMode")) addr_gen_mode_of(peer.str("addrGenMode"));
}

// Alias, IPv6 address generation mode, then up (in that order: the mode must
// be set before the link goes up), and the link read back unless `read_back`
// is false — one trip.
Value configure_created(nl::Socket& sock, int index, const std::string& name, const Value& args, bool read_back) {
  std::vector<nl::Message> msgs;
  nl::Message post = link_request(RTM_NEWLINK, 0, index, name, "RTM_NEWLINK");
  if (put_post_create(post, args)) msgs.push_back(std::move(post));
  // The kernel refuses a veth end created up (ENOTCONN): up is always a message of its own.
  if (args.bool_or("up", false)) msgs.push_back(up_request(index, name, true));
  if (read_back) msgs.push_back(get_request(index, name));
  Value link;
  if (!msgs.empty()) {
    size_t last = msgs.size() - 1;
    sock.transact(msgs, [&](size_t i, const nlmsghdr* h) {
      if (read_back && i == last && h->nlmsg_type == RTM_NEWLINK) link = parse_link(h);
    });
  }
  if (read_back) return link;
  Value brief{Object{{"name", Value(name)}}};
  if (index) brief.set("index", index);  // a veth peer's index is not known without the read
  return brief;
}

// {kind, name, mtu?, address?, up?, alias?, master?|masterIndex?, txQueueLen?,
//  addrGenMode?, readBack?, ...kind options} → the created link as the kernel
// reports it (a veth's carries `peer`, read in the peer's namespace); with
// readBack false only {index, name} (and the peer's {name}), which
// spares reading and converting both ends when the caller does not use them.
Value add(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  check_add_args(args);
  bool read_back = args.bool_or("readBack", true);
  nl::Message create = create_request(sock, args);
  const std::string name = args.str("name");
  // A stacked link sent to another namespace lives there from the start: it is
  // configured, read back and undone through that namespace's socket, by name
  // (the kernel echoes a new link only to sockets of the link's own namespace).
  NetnsRef target = args.has("netns") && args.str("kind") != "veth" ? args["netns"].as_netns("netns") : nullptr;
  int index = 0;
  sock.request(create, [&](size_t, const nlmsghdr* h) {
    if (h->nlmsg_type == RTM_NEWLINK) index = static_cast<const ifinfomsg*>(NLMSG_DATA(h))->ifi_index;
  });
  if (target) {
    Netns* there = target.get();
    ctx.undo.push("delete link " + name, [target, name] { delete_link(target->rtnl(), 0, name); });
    return configure_created(there->rtnl(), 0, name, args, read_back);
  }
  if (!index) index = lookup_ifindex(sock, name);  // kernels before 6.3 do not echo a new link
  if (!index) throw NetlinkError(ENODEV, "RTM_GETLINK", name, "the link was created but cannot be found");
  Netns* ns = &ctx.ns;
  ctx.undo.push("delete link " + name, [ns, index, name] { delete_link(ns->rtnl(), index, name); });

  Value peer_link;
  if (args.str("kind") == "veth") {
    const Value& peer = args["peer"];
    NetnsRef peer_ns = peer.has("netns") ? peer["netns"].as_netns("peer.netns") : nullptr;
    peer_link = configure_created(peer_ns ? peer_ns->rtnl() : sock, 0, peer.str("name"), peer, read_back);
  }
  Value link = configure_created(sock, index, name, args, read_back);
  if (!peer_link.is_null()) link.set("peer", std::move(peer_link));
  return link;
}

// {name|index, ifExists?, deviceGroup?} → true, or false when absent and
// ifExists. With deviceGroup, a link in another group is left alone (false):
// a name can be taken again by someone else's link after ours went. Not
// undone: a deleted link cannot be brought back as it was.
Value remove(OpContext& ctx, const Value& args) {
  LinkTarget t = target_of(args);
  if (args.has("deviceGroup")) {
    int64_t group = int_arg(args, "deviceGroup", 0, 0xffffffffLL);
    try {
      Value link = get_link(ctx.ns.rtnl(), t.index, t.name);
      if (link["deviceGroup"].as_int() != group) return Value(false);
      t.index = static_cast<int>(link["index"].as_int());
    } catch (const NetlinkError& e) {
      if (e.err == ENODEV && args.bool_or("ifExists", false)) return Value(false);
      throw;
    }
  }
  nl::Message m = link_request(RTM_DELLINK, 0, t.index, t.name, "RTM_DELLINK");
  try {
    ctx.ns.rtnl().request(m);
  } catch (const NetlinkError& e) {
    if (e.err == ENODEV && args.bool_or("ifExists", false)) return Value(false);
    throw;
  }
  return Value(true);
}

Value get(OpContext& ctx, const Value& args) {
  LinkTarget t = target_of(args);
  return get_link(ctx.ns.rtnl(), t.index, t.name);
}

// {kind?, master?|masterIndex?} → links. Filtered here rather than by the
// kernel, which ignores a kind filter for a kind whose module is not loaded.
Value list(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  int master = args.has("master") || args.has("masterIndex") ? ifindex_of(sock, args, "master", "masterIndex") : 0;
  std::string kind = args.str_or("kind", "");
  Array out;
  for (Value& link : list_links(sock)) {
    if (!kind.empty() && !(link["linkKind"].is_string() && link["linkKind"].as_string() == kind)) continue;
    if (master && !(link["master"].is_int() && link["master"].as_int() == master)) continue;
    out.push_back(std::move(link));
  }
  return Value(std::move(out));
}

NETPLUMB_OP("link.add", add);
NETPLUMB_OP("link.delete", remove);
NETPLUMB_OP("link.get", get);
NETPLUMB_OP("link.list", list);

}  // namespace
}  // namespace netplumb::rtnl
