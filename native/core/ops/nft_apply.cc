// nft.apply: a whole nf_tables transaction in one batch, applied by the
// kernel entirely or not at all.
//
// {genid?, readBack?, changes: [{op, kind, ...object}]} → {handles, genid}
// (readBack: false leaves out genid, which costs a trip of its own)
//   op:   add (idempotent for containers) | create (fails if it exists) |
//         insert | replace (rules) | delete | flush (table, chain, set)
//   kind: table | chain | rule | set | element
//   handles[i]: the kernel's handle of the rule change i made, else null.
//
// genid: sent as NFNL_BATCH_GENID in the batch's BEGIN message, so the kernel
// itself refuses (ERESTART) a transaction prepared against an older ruleset,
// atomically with applying it.
//
// Undo (a later call in the plan failed): what this transaction created is
// deleted again in one inverse batch: tables, chains and sets it created
// ("add" of a container that already existed is left alone), rules by their
// echoed handles, and the elements of its add/create changes (an "add" of an
// element that already existed cannot be told apart, so it is deleted too:
// use create where that matters). Deleted elements are re-added. Deleted or
// replaced rules, chains, sets and tables and flushes are not restored: the
// transaction does not keep their contents.
#include <sys/socket.h>

#include <cerrno>
#include <set>

#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/nft/gen.h"
#include "core/nft/objects.h"

namespace netplumb::nft {

namespace {

// Large element batches go in one sendmsg; the kernel refuses one bigger than
// the socket's send buffer.
constexpr int kSendBuffer = 16 << 20;

struct Origin {
  size_t change;
  const char* kind;
  std::vector<uint32_t> starts;  // element offsets, for element messages
  size_t first = 0;
};

struct Built {
  std::vector<nl::Message> msgs;
  std::vector<Origin> origin;
};

uint16_t container_flags(const std::string& op) {
  if (op == "add") return NLM_F_CREATE;
  if (op == "create") return NLM_F_CREATE | NLM_F_EXCL;
  return 0;
}

[[noreturn]] void bad_op(const std::string& op, const std::string& kind) {
  throw InvalidArgument("op", "'" + op + "' does not apply to a " + kind);
}

void build_change(const Value& c, size_t index, Built& out) {
  const std::string& op = c.str("op");
  const std::string& kind = c.str("kind");
  auto push = [&](nl::Message m, const char* k) {
    if (c.has("object")) m.set_object(c.str("object"));
    out.msgs.push_back(std::move(m));
    out.origin.push_back(Origin{index, k, {}, 0});
  };
  if (kind == "table") {
    if (op == "add" || op == "create") return push(table_message(NFT_MSG_NEWTABLE, container_flags(op), c), "table");
    if (op == "delete") return push(table_message(NFT_MSG_DELTABLE, 0, c), "table");
    if (op == "flush") {
      Value r{Object{}};
      r.set("family", c["family"]);
      r.set("table", c["name"]);
      return push(rule_message(NFT_MSG_DELRULE, 0, r), "table");
    }
    bad_op(op, kind);
  }
  if (kind == "chain") {
    if (op == "add" || op == "create") return push(chain_message(NFT_MSG_NEWCHAIN, container_flags(op), c), "chain");
    if (op == "delete") return push(chain_message(NFT_MSG_DELCHAIN, 0, c), "chain");
    if (op == "flush") {
      Value r{Object{}};
      r.set("family", c["family"]);
      r.set("table", c["table"]);
      r.set("chain", c["name"]);
      return push(rule_message(NFT_MSG_DELRULE, 0, r), "chain");
    }
    bad_op(op, kind);
  }
  if (kind == "rule") {
    // Rules are echoed back so that their handles are known.
    if (op == "add" || op == "create")
      return push(rule_message(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ECHO, c), "rule");
    if (op == "insert") return push(rule_message(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_ECHO, c), "rule");
    if (op == "replace") {
      if (!c.has("handle")) throw InvalidArgument("handle", "replacing a rule needs its handle");
      return push(rule_message(NFT_MSG_NEWRULE, NLM_F_REPLACE | NLM_F_ECHO, c), "rule");
    }
    if (op == "delete") {
      if (!c.has("handle")) throw InvalidArgument("handle", "deleting a rule needs its handle");
      Value r = c;
      r.as_object_mut().erase("exprs");
      return push(rule_message(NFT_MSG_DELRULE, 0, r), "rule");
    }
    bad_op(op, kind);
  }
  if (kind == "set") {
    if (op == "add" || op == "create") return push(set_message(NFT_MSG_NEWSET, container_flags(op), c), "set");
    if (op == "delete") return push(set_message(NFT_MSG_DELSET, 0, c), "set");
    if (op == "flush") {
      nl::Message m = message(NFT_MSG_DELSETELEM, 0, family_of(c["family"]), describe_set(c));
      m.put_str(NFTA_SET_ELEM_LIST_TABLE, c.str("table"));
      m.put_str(NFTA_SET_ELEM_LIST_SET, c.str("name"));
      return push(std::move(m), "set");
    }
    bad_op(op, kind);
  }
  if (kind == "element") {
    uint16_t msg;
    if (op == "add" || op == "create") msg = NFT_MSG_NEWSETELEM;
    else if (op == "delete") msg = NFT_MSG_DELSETELEM;
    else bad_op(op, kind);
    for (ElementChunk& chunk : element_messages(msg, container_flags(op), c)) {
      out.msgs.push_back(std::move(chunk.msg));
      out.origin.push_back(Origin{index, "element", std::move(chunk.starts), chunk.first});
    }
    return;
  }
  throw InvalidArgument("kind", "kind must be table, chain, rule, set or element, got '" + kind + "'");
}

Built build_all(const Array& changes) {
  Built b;
  for (size_t i = 0; i < changes.size(); i++) build_change(changes[i], i, b);
  return b;
}

// Names the element an extended-ACK offset points into, when it does.
std::string failing_object(const Built& b, const Array& changes, const NetlinkError& e) {
  for (size_t i = 0; i < b.msgs.size(); i++) {
    if (b.msgs[i].object() != e.object || b.origin[i].starts.empty() || e.extack_offset < 0) continue;
    const auto& starts = b.origin[i].starts;
    size_t k = 0;
    while (k + 1 < starts.size() && starts[k + 1] <= e.extack_offset) k++;
    if (starts[k] > e.extack_offset) return e.object;
    size_t index = b.origin[i].first + k;
    const Value& c = changes[b.origin[i].change];
    const Value& el = c["elements"].as_array()[index];
    std::string what = el.has("object") ? el.str("object") : "#" + std::to_string(index);
    return "element " + what + " of " + describe_elements(c);
  }
  return e.object;
}

bool exists(nl::Socket& sock, const Value& c) {
  const std::string& kind = c.str("kind");
  nl::Message m = kind == "table" ? table_message(NFT_MSG_GETTABLE, 0, c)
                : kind == "chain" ? chain_message(NFT_MSG_GETCHAIN, 0, Value(Object{{"family", c["family"]}, {"table", c["table"]}, {"name", c["name"]}}))
                                  : set_message(NFT_MSG_GETSET, 0, c);
  try {
    sock.request(m);
    return true;
  } catch (const NetlinkError& e) {
    if (e.err == ENOENT) return false;
    throw;
  }
}

Value key_only(const Value& el) {
  Value k{Object{}};
  k.set("key", el["key"]);
  if (el.has("keyEnd")) k.set("keyEnd", el["keyEnd"]);
  if (el.has("flags")) k.set("flags", el["flags"]);
  return k;
}

std::string table_id(const Value& c, const char* name_field) {
  return c["family"].as_string("family") + " " + c.str(name_field);
}

// The changes that take this transaction back, in the order to apply them.
Array inverse_of(const Array& changes, const std::vector<bool>& created, const Array& handles) {
  std::set<std::string> new_tables, new_sets;
  Array inv;
  for (size_t i = 0; i < changes.size(); i++) {
    const Value& c = changes[i];
    const std::string& op = c.str("op");
    const std::string& kind = c.str("kind");
    bool adds = op == "add" || op == "create" || op == "insert";
    if (kind == "table" && created[i]) new_tables.insert(table_id(c, "name"));
    if (kind == "set" && created[i]) new_sets.insert(table_id(c, "table") + " " + c.str("name"));
    bool in_new_table = kind != "table" && new_tables.count(table_id(c, "table"));
    if (in_new_table) continue;  // deleting the table takes it along
    Value undo{Object{}};
    if ((kind == "table" || kind == "chain" || kind == "set") && adds && created[i]) {
      undo = c;
      undo.set("op", "delete");
    } else if (kind == "rule" && adds && handles[i].is_int()) {
      undo = Value(Object{{"op", Value("delete")}, {"kind", Value("rule")}, {"family", c["family"]},
                          {"table", c["table"]}, {"chain", c["chain"]}, {"handle", handles[i]}});
    } else if (kind == "element" && (adds || op == "delete")) {
      if (adds && new_sets.count(table_id(c, "table") + " " + c.str("set"))) continue;
      undo = c;
      undo.set("op", adds ? "delete" : "add");
      if (adds) {
        Array keys;
        for (const Value& el : c["elements"].as_array()) keys.push_back(key_only(el));
        undo.set("elements", Value(std::move(keys)));
      }
    } else {
      continue;
    }
    inv.insert(inv.begin(), std::move(undo));
  }
  return inv;
}

void send(nl::Socket& sock, Built& b, const Array& changes, Array* handles, uint32_t genid = 0) {
  try {
    sock.batch(
        b.msgs, NFNL_SUBSYS_NFTABLES,
        [&](size_t idx, const nlmsghdr* h) {
          if (!handles || idx >= b.origin.size() || (h->nlmsg_type & 0xff) != NFT_MSG_NEWRULE) return;
          Value r = decode_rule(h);
          if (r.has("handle")) (*handles)[b.origin[idx].change] = r["handle"];
        },
        genid);
  } catch (const NetlinkError& e) {
    std::string object = failing_object(b, changes, e);
    if (object == e.object) throw;
    throw NetlinkError(e.err, e.op, object, e.extack, e.extack_offset);
  }
}

Value apply(OpContext& ctx, const Value& args) {
  const Array& changes = args["changes"].as_array("changes");
  Built b = build_all(changes);  // bad input fails before anything is sent
  nl::Socket& sock = ctx.ns.nfnl();
  sock.ensure_send_buffer(kSendBuffer);

  std::vector<bool> created(changes.size(), false);
  for (size_t i = 0; i < changes.size(); i++) {
    const Value& c = changes[i];
    const std::string& kind = c.str("kind");
    if (kind != "table" && kind != "chain" && kind != "set") continue;
    if (c.str("op") == "create") created[i] = true;
    else if (c.str("op") == "add") created[i] = !exists(sock, c);
  }
  uint32_t genid = args.has("genid") ? static_cast<uint32_t>(args.integer("genid")) : 0;

  Array handles(changes.size());
  if (!b.msgs.empty()) send(sock, b, changes, &handles, genid);

  Array inverse = inverse_of(changes, created, handles);
  if (!inverse.empty()) {
    Netns* ns = &ctx.ns;
    ctx.undo.push("nft transaction", [ns, inverse] {
      Built ib = build_all(inverse);
      send(ns->nfnl(), ib, inverse, nullptr);
    });
  }
  Value out{Object{}};
  out.set("handles", Value(std::move(handles)));
  // The generation after the transaction costs another trip: skipped for a caller that does not use it.
  if (args.bool_or("readBack", true)) out.set("genid", static_cast<int64_t>(read_genid(sock)));
  return out;
}

NETPLUMB_OP("nft.apply", apply);

}  // namespace
}  // namespace netplumb::nft
