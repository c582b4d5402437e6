// link.set and link.setBridgePort: change an existing link in one request,
// read in the same trip what it was before so that the plan can put it back.
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <cerrno>

#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/netlink/attrs.h"
#include "core/netns/netns.h"
#include "core/rtnl/ifindex.h"
#include "core/rtnl/link_build.h"
#include "core/rtnl/link_parse.h"
#include "core/rtnl/link_read.h"

namespace netplumb::rtnl {

namespace {

const char* const kSetFields[] = {"up", "mtu", "address", "newName", "alias", "master", "masterIndex", "nomaster",
                                  "netns", "txQueueLen"};

bool wants_master_change(const Value& args) {
  return args.has("master") || args.has("masterIndex") || args.bool_or("nomaster", false);
}

// RTM_NEWLINK carrying the changes of link.set. Flags go in the header, the
// rest as attributes; the kernel applies a namespace move first.
nl::Message set_request(nl::Socket& sock, const LinkTarget& t, const Value& args) {
  nl::Message m(RTM_NEWLINK, 0, "RTM_NEWLINK", t.label());
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = t.index;
  if (args.has("up")) {
    ifi.ifi_change = IFF_UP;
    ifi.ifi_flags = args["up"].as_bool("up") ? IFF_UP : 0;
  }
  m.put_header(ifi);
  if (t.index == 0) m.put_str(IFLA_IFNAME, t.name);
  if (args.has("netns")) m.put_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(args["netns"].as_netns("netns")->fd()));
  if (args.has("mtu")) m.put_u32(IFLA_MTU, static_cast<uint32_t>(int_arg(args, "mtu", 68, 65535)));
  if (args.has("address")) m.put_bytes(IFLA_ADDRESS, nl::parse_mac(args.str("address"), "address"));
  if (args.has("alias")) m.put_text(IFLA_IFALIAS, args.str("alias"));
  if (args.has("txQueueLen"))
    m.put_u32(IFLA_TXQLEN, static_cast<uint32_t>(int_arg(args, "txQueueLen", 0, 0xffffffffLL)));
  if (args.bool_or("nomaster", false)) {
    if (args.has("master") || args.has("masterIndex"))
      throw InvalidArgument("nomaster", "give master or nomaster, not both");
    m.put_u32(IFLA_MASTER, 0);
  } else if (args.has("master") || args.has("masterIndex")) {
    m.put_u32(IFLA_MASTER, static_cast<uint32_t>(ifindex_of(sock, args, "master", "masterIndex")));
  }
  return m;
}

// undoable: false — the change alone, one message: nothing read before (so
// nothing to put back) or after. For a caller that disposes of the link (its
// namespace) when a later call of the plan fails; reading both ends of a
// link costs as much as changing it.
Value set_blind(nl::Socket& sock, const LinkTarget& t, const Value& args) {
  if (args.has("newName") || args.has("netns"))
    throw InvalidArgument("undoable", "a rename or a move cannot be sent with undoable: false");
  nl::Message change = set_request(sock, t, args);
  sock.request(change);
  return Value(Object{{"name", Value(t.name)}, {"index", Value(static_cast<int64_t>(t.index))}});
}

// The RTM_NEWLINK that puts back, on link `index`, every field `args` changed,
// as `before` had it; `home_fd` >= 0 moves the link back to that namespace.
nl::Message restore_request(int index, const Value& before, const Value& args, int home_fd) {
  nl::Message m(RTM_NEWLINK, 0, "RTM_NEWLINK", "restore " + before.str("name"));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  if (args.has("up")) {
    ifi.ifi_change = IFF_UP;
    ifi.ifi_flags = before["up"].as_bool() ? IFF_UP : 0;
  }
  m.put_header(ifi);
  if (home_fd >= 0) m.put_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(home_fd));
  if (args.has("mtu")) m.put_u32(IFLA_MTU, static_cast<uint32_t>(before.integer("mtu")));
  if (args.has("address") && before["address"].is_string())
    m.put_bytes(IFLA_ADDRESS, nl::parse_mac(before.str("address"), "address"));
  if (args.has("newName")) m.put_str(IFLA_IFNAME, before.str("name"));
  if (args.has("alias")) m.put_text(IFLA_IFALIAS, before.str_or("alias", ""));
  if (args.has("txQueueLen")) m.put_u32(IFLA_TXQLEN, static_cast<uint32_t>(before.integer("txQueueLen")));
  if (wants_master_change(args)) m.put_u32(IFLA_MASTER, static_cast<uint32_t>(before.int_or("master", 0)));
  return m;
}

// {name|index, up?, mtu?, address?, newName?, alias?, master?|masterIndex?|nomaster?,
//  netns?, txQueueLen?, undoable?} → the link as read back (in its new namespace
//  when moved); with undoable: false, {name, index} as given.
Value set(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  LinkTarget t = target_of(args);
  bool any = false;
  for (const char* f : kSetFields) any = any || args.has(f);
  if (!any) throw InvalidArgument("args", "link.set needs at least one change (up, mtu, address, newName, ...)");
  if (args.has("newName")) check_ifname(args.str("newName"), "newName");
  if (!args.bool_or("undoable", true)) return set_blind(sock, t, args);
  NetnsRef target_ns = args.has("netns") ? args["netns"].as_netns("netns") : nullptr;
  bool moves = target_ns && !target_ns->same_as(ctx.ns);

  // Renaming needs the index (a name in the request would be taken as the key).
  if (args.has("newName") && t.index == 0) {
    t.index = lookup_ifindex(sock, t.name);
    if (!t.index) throw NetlinkError(ENODEV, "RTM_GETLINK", t.name, "no interface with this name in the namespace");
  }
  nl::Message change = set_request(sock, t, args);
  if (args.has("newName")) change.put_str(IFLA_IFNAME, args.str("newName"));
  const std::string final_name = args.has("newName") ? args.str("newName") : t.name;

  // One trip: the link before, the change, and (unless it leaves) the link after.
  std::vector<nl::Message> msgs;
  msgs.push_back(get_request(t.index, t.name));
  msgs.push_back(std::move(change));
  if (!moves) msgs.push_back(get_request(t.index, t.name.empty() ? "" : final_name));
  Value before, after;
  std::exception_ptr failure;
  try {
    sock.transact(msgs, [&](size_t i, const nlmsghdr* h) {
      if (h->nlmsg_type != RTM_NEWLINK) return;
      if (i == 0) before = parse_link(h);
      if (i == 2) after = parse_link(h);
    });
  } catch (...) {
    failure = std::current_exception();
  }
  if (before.is_null()) {  // the link is not there: nothing changed
    if (failure) std::rethrow_exception(failure);
    throw NetlinkError(ENODEV, "RTM_GETLINK", t.label(), "the kernel returned no link");
  }

  // The kernel applies attributes in turn and keeps those applied before a
  // refused one, so the undo is recorded even when the change failed.
  Netns* home = &ctx.ns;
  int index = static_cast<int>(before.integer("index"));
  std::string moved_name = final_name.empty() ? before.str("name") : final_name;
  ctx.undo.push("restore link " + before.str("name"), [home, target_ns, moves, index, before, args, moved_name] {
    try {
      nl::Message m = restore_request(index, before, args, -1);
      home->rtnl().request(m);
      return;
    } catch (const NetlinkError& e) {
      if (!moves || e.err != ENODEV) throw;
    }
    // It left: put it back from the namespace it went to.
    nl::Socket& there = target_ns->rtnl();
    int there_index = lookup_ifindex(there, moved_name);
    if (!there_index) throw NetlinkError(ENODEV, "RTM_GETLINK", moved_name, "the moved link is gone");
    nl::Message m = restore_request(there_index, before, args, home->fd());
    there.request(m);
  });
  if (failure) std::rethrow_exception(failure);
  if (moves) after = get_link(target_ns->rtnl(), 0, moved_name);
  return after;
}

struct PortField {
  const char* key;
  uint16_t attr;
  int width;  // 0: u8 flag (a boolean), 1: u8, 2: u16, 4: u32
  int64_t min, max;
};
const PortField kPortFields[] = {
    {"hairpin", IFLA_BRPORT_MODE, 0, 0, 1},
    {"isolated", IFLA_BRPORT_ISOLATED, 0, 0, 1},
    {"learning", IFLA_BRPORT_LEARNING, 0, 0, 1},
    {"flood", IFLA_BRPORT_UNICAST_FLOOD, 0, 0, 1},
    {"cost", IFLA_BRPORT_COST, 4, 1, 65535},
    {"priority", IFLA_BRPORT_PRIORITY, 2, 0, 63},
    // BR_STATE_DISABLED (0) to BR_STATE_BLOCKING (4), as STP would set it: a disabled port forwards nothing.
    {"state", IFLA_BRPORT_STATE, 1, 0, 4},
};

int64_t port_value(const PortField& f, const Value& v) {
  if (f.width == 0) return v.as_bool(f.key) ? 1 : 0;
  return int_arg(Value(Object{{f.key, v}}), f.key, f.min, f.max);
}

// Bridge port settings go to the bridge as AF_BRIDGE RTM_SETLINK with a
// nested IFLA_PROTINFO (the kernel reads a non-nested one as the old STP-state form).
nl::Message port_request(int index, const std::string& label, const Value& values) {
  nl::Message m = link_request(RTM_SETLINK, 0, index, "", "RTM_SETLINK", AF_BRIDGE);
  m.set_object(label);
  size_t nest = m.begin_nest(IFLA_PROTINFO);
  for (const PortField& f : kPortFields) {
    if (!values.has(f.key)) continue;
    int64_t v = port_value(f, values[f.key]);
    if (f.width <= 1) m.put_u8(f.attr, static_cast<uint8_t>(v));
    if (f.width == 2) m.put_u16(f.attr, static_cast<uint16_t>(v));
    if (f.width == 4) m.put_u32(f.attr, static_cast<uint32_t>(v));
  }
  m.end_nest(nest);
  return m;
}

// {name|index, hairpin?, isolated?, learning?, flood?, cost?, priority?, state?, readBack?} → the link
// after; with readBack: false, {index, name}.
Value set_bridge_port(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  LinkTarget t = target_of(args);
  bool any = false;
  for (const PortField& f : kPortFields) any = any || args.has(f.key);
  if (!any) throw InvalidArgument("args", "link.setBridgePort needs hairpin, isolated, learning, flood, cost, priority or state");
  // AF_BRIDGE requests address the port by index only.
  int index = t.index ? t.index : ifindex_of(sock, args, "name", "index");
  // readBack: false — the port is not read after the change (the caller keeps its own record).
  bool read_back = args.bool_or("readBack", true);
  std::vector<nl::Message> msgs;
  msgs.push_back(get_request(index, ""));
  msgs.push_back(port_request(index, t.label(), args));
  if (read_back) msgs.push_back(get_request(index, ""));
  Value before, after;
  sock.transact(msgs, [&](size_t i, const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWLINK) return;
    if (i == 0) before = parse_link(h);
    if (i == 2) after = parse_link(h);
  });
  const Value& was = before["bridgePort"];
  if (was.is_object()) {
    Value restore = Value(Object{});
    for (const PortField& f : kPortFields)
      if (args.has(f.key) && was.has(f.key)) restore.set(f.key, was[f.key]);
    Netns* ns = &ctx.ns;
    std::string label = t.label();
    ctx.undo.push("restore bridge port " + label, [ns, index, label, restore] {
      nl::Message m = port_request(index, label, restore);
      ns->rtnl().request(m);
    });
  }
  if (!read_back) return Value(Object{{"index", Value(static_cast<int64_t>(index))}, {"name", Value(t.name)}});
  return after;
}

NETPLUMB_OP("link.set", set);
NETPLUMB_OP("link.setBridgePort", set_bridge_port);

}  // namespace
}  // namespace netplumb::rtnl
