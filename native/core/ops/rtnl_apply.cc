// rtnl.apply: many routes, neighbours, FDB entries and nexthop objects added,
// replaced or deleted in one call — the rtnetlink counterpart of nft.apply.
// The requests go to the kernel in a few sendmsg calls (rtnetlink handles
// every message of one sendmsg before it returns) instead of one trip each,
// and the whole list is all or nothing: when one is refused, the ones the
// kernel applied are taken back in reverse order before the failure is
// reported. Built for the overlay's per-host programming (3 objects per
// remote host, thousands at once), usable for any bulk change.
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <map>
#include <memory>
#include <optional>

#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/rtnl/ifindex.h"
#include "core/rtnl/neigh_build.h"
#include "core/rtnl/nexthop_build.h"
#include "core/rtnl/route_build.h"

namespace netplumb::rtnl {

namespace {

// Requests per sendmsg: the kernel queues every answer of one sendmsg before
// we read any, and they must fit the socket's receive buffer even where it
// could not be raised past rmem_max (~200 answers of ~1 KB of skb each).
// Only refusals and each slice's last request are answered (transact_quiet),
// but a slice may be refused whole.
constexpr size_t kSlice = 200;

enum class Action { add, replace, remove };

struct Planned {
  nl::Message request;
  std::optional<nl::Message> inverse;  // what takes it back once applied
  bool if_exists = false;
  int absent_errno = ENOENT;
};

Action action_of(const std::string& a) {
  if (a == "add") return Action::add;
  if (a == "replace") return Action::replace;
  if (a == "delete") return Action::remove;
  throw InvalidArgument("action", "a change's action must be add, replace or delete, got '" + a + "'");
}

// Device names resolved once per call: a batch names the same device thousands of times.
class Devices {
 public:
  explicit Devices(nl::Socket& sock) : sock_(sock) {}
  int of(const Value& args) {
    if (!args.has("dev")) return args.has("index") ? ifindex_of(sock_, args) : 0;
    const std::string& name = args.str("dev");
    auto it = cache_.find(name);
    if (it != cache_.end()) return it->second;
    int index = ifindex_of(sock_, args);
    cache_.emplace(name, index);
    return index;
  }

 private:
  nl::Socket& sock_;
  std::map<std::string, int> cache_;
};

// An object kind as the planner sees it: its spec from arguments (full, and
// as a delete names it) and its three requests.
template <typename Spec>
struct Kind {
  Spec (*spec)(const Value& args, int ifindex, bool for_delete);
  nl::Message (*create)(const Spec&, uint16_t nlflags);
  nl::Message (*remove)(const Spec&);
  int absent_errno;
};

template <typename Spec>
Planned plan_kind(const Kind<Spec>& k, Action action, const Value& args, const Value& before, Devices& dev) {
  int ifindex = dev.of(args);
  Spec full = k.spec(args, ifindex, false);
  switch (action) {
    case Action::add:
      return {k.create(full, NLM_F_CREATE | NLM_F_EXCL), k.remove(full)};
    case Action::replace: {
      // Undone by putting back what was there, when the caller knows it; else by deleting.
      nl::Message back = before.is_object() ? k.create(k.spec(before, dev.of(before), false), NLM_F_CREATE | NLM_F_REPLACE) : k.remove(full);
      return {k.create(full, NLM_F_CREATE | NLM_F_REPLACE), std::move(back)};
    }
    case Action::remove:
      return {k.remove(k.spec(args, ifindex, true)), k.create(full, NLM_F_CREATE | NLM_F_EXCL), args.bool_or("ifExists", false), k.absent_errno};
  }
  throw InvalidArgument("action", "unknown action");
}

const Kind<RouteSpec> kRoute{route_spec_from_args, build_newroute, build_delroute, ESRCH};
const Kind<NeighSpec> kNeigh{neigh_spec_from_args, build_newneigh, build_delneigh, ENOENT};

NexthopSpec nexthop_spec(const Value& args, int oif, bool) { return nexthop_spec_from_args(args, oif); }
nl::Message nexthop_removal(const NexthopSpec& s) { return build_delnexthop(s.id); }
const Kind<NexthopSpec> kNexthop{nexthop_spec, build_newnexthop, nexthop_removal, ENOENT};

Planned plan_nexthop(Action action, const Value& args, const Value& before, Devices& dev) {
  if (action == Action::remove && !args.has("dev") && !args.has("index") && !args.bool_or("blackhole", false)) {
    // A delete needs only the id; without the device it cannot be put back.
    int64_t id = args.integer("id");
    if (id < 1 || id > 0xFFFFFFFFLL) throw InvalidArgument("id", "a nexthop id must be 1-4294967295");
    return {build_delnexthop(static_cast<uint32_t>(id)), std::nullopt, args.bool_or("ifExists", false), ENOENT};
  }
  return plan_kind(kNexthop, action, args, before, dev);
}

Planned plan_change(const Value& c, Devices& dev) {
  Action action = action_of(c.str("action"));
  const std::string& object = c.str("object");
  const Value& args = c["args"];
  if (!args.is_object()) throw InvalidArgument("args", "each change needs args: the object it adds, replaces or deletes");
  if (object == "route") return plan_kind(kRoute, action, args, c["before"], dev);
  if (object == "neigh") return plan_kind(kNeigh, action, args, c["before"], dev);
  if (object == "nexthop") return plan_nexthop(action, args, c["before"], dev);
  throw InvalidArgument("object", "a change's object must be route, neigh or nexthop, got '" + object + "'");
}

// Sends `msgs` in slices; stops after the first slice with a refusal. Returns
// each message's outcome (nullopt: not sent).
std::vector<std::optional<nl::Outcome>> send_sliced(nl::Socket& sock, std::vector<nl::Message*>& msgs) {
  std::vector<std::optional<nl::Outcome>> out(msgs.size());
  for (size_t start = 0; start < msgs.size(); start += kSlice) {
    size_t end = std::min(msgs.size(), start + kSlice);
    std::vector<nl::Message> slice;
    slice.reserve(end - start);
    for (size_t i = start; i < end; i++) slice.push_back(std::move(*msgs[i]));
    std::vector<nl::Outcome> got = sock.transact_quiet(slice);
    bool refused = false;
    for (size_t i = start; i < end; i++) {
      *msgs[i] = std::move(slice[i - start]);
      out[i] = got[i - start];
      refused = refused || got[i - start].err != 0;
    }
    if (refused) break;
  }
  return out;
}

// Takes back what was applied, newest first; returns how many could not be.
size_t take_back(nl::Socket& sock, std::vector<nl::Message>& inverses) {
  if (inverses.empty()) return 0;
  std::vector<nl::Message*> ptrs;
  for (auto it = inverses.rbegin(); it != inverses.rend(); ++it) ptrs.push_back(&*it);
  size_t failed = 0;
  for (size_t start = 0; start < ptrs.size(); start += kSlice) {
    std::vector<nl::Message*> part(ptrs.begin() + static_cast<long>(start),
                                   ptrs.begin() + static_cast<long>(std::min(ptrs.size(), start + kSlice)));
    std::vector<nl::Message> slice;
    for (auto* m : part) slice.push_back(*m);
    for (const nl::Outcome& o : sock.transact_quiet(slice))
      if (o.err && o.err != ENOENT && o.err != ESRCH) failed++;
  }
  return failed;
}

// {changes: [{action: 'add'|'replace'|'delete', object: 'route'|'neigh'|'nexthop',
//   args: <the args of route.add / neigh.add / nexthop.add>, before?: args}]}
// → the number of changes applied (deletes of absent objects with ifExists are not).
// A delete's args describe the whole object, so that it can be put back.
Value apply(OpContext& ctx, const Value& args) {
  nl::Socket& sock = ctx.ns.rtnl();
  const Array& list = args["changes"].as_array("changes");
  Devices dev(sock);
  std::vector<Planned> planned;
  planned.reserve(list.size());
  // Everything is checked and built before the first request is sent.
  for (size_t i = 0; i < list.size(); i++) {
    try {
      planned.push_back(plan_change(list[i], dev));
    } catch (const InvalidArgument& e) {
      throw InvalidArgument("changes[" + std::to_string(i) + "]." + e.field,
                            "change " + std::to_string(i) + ": " + e.what());
    }
  }
  std::vector<nl::Message*> msgs;
  msgs.reserve(planned.size());
  for (auto& p : planned) msgs.push_back(&p.request);
  std::vector<std::optional<nl::Outcome>> outcomes = send_sliced(sock, msgs);

  std::vector<nl::Message> applied;
  std::optional<size_t> refused;
  int64_t count = 0;
  for (size_t i = 0; i < planned.size(); i++) {
    const auto& o = outcomes[i];
    if (!o) break;
    if (o->err == 0) {
      count++;
      if (planned[i].inverse) applied.push_back(*planned[i].inverse);
    } else if (!(planned[i].if_exists && (o->err == planned[i].absent_errno || o->err == ENOENT))) {
      if (!refused) refused = i;
    }
  }
  if (refused) {
    size_t i = *refused;
    const nl::Outcome& o = *outcomes[i];
    size_t stuck = take_back(sock, applied);
    std::string why = o.extack;
    if (stuck) why += (why.empty() ? "" : "; ") + std::string("could not take back ") + std::to_string(stuck) + " applied change(s)";
    throw NetlinkError(o.err, planned[i].request.op(),
                       planned[i].request.object() + " (change " + std::to_string(i) + " of " + std::to_string(planned.size()) + ")",
                       why, o.offset);
  }
  if (ctx.later_calls && !applied.empty()) {
    auto shared = std::make_shared<std::vector<nl::Message>>(std::move(applied));
    Netns* ns = &ctx.ns;
    ctx.undo.push("take back " + std::to_string(shared->size()) + " rtnetlink changes", [ns, shared] {
      if (size_t stuck = take_back(ns->rtnl(), *shared))
        throw NetlinkError(EIO, "rtnl.apply", "undo", std::to_string(stuck) + " change(s) could not be taken back");
    });
  }
  return Value(count);
}

NETPLUMB_OP("rtnl.apply", apply);

}  // namespace
}  // namespace netplumb::rtnl
