// nft.getgen: the ruleset's generation id.
// nft.list: the ruleset (or one family / table) as tables, chains, rules and
// sets with their elements, read as one consistent snapshot: the generation
// id is read before and after, and the dumps are repeated if it moved.
#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/nft/gen.h"
#include "core/nft/objects.h"

namespace netplumb::nft {

namespace {

constexpr int kAttempts = 5;

Array dump_all(nl::Socket& sock, nl::Message msg, Value (*decode)(const nlmsghdr*), const std::string& table) {
  Array out;
  sock.dump(msg, [&](const nlmsghdr* h) {
    Value v = decode(h);
    if (table.empty() || v.str_or("table", v.str_or("name", "")) == table) out.push_back(std::move(v));
  }, 3);
  return out;
}

Value snapshot(nl::Socket& sock, uint8_t family, const std::string& table) {
  Value out{Object{}};
  nl::Message tables = message(NFT_MSG_GETTABLE, 0, family, "tables");
  out.set("tables", dump_all(sock, tables, decode_table, table));
  nl::Message chains = message(NFT_MSG_GETCHAIN, 0, family, "chains");
  out.set("chains", dump_all(sock, chains, decode_chain, table));
  nl::Message rules = message(NFT_MSG_GETRULE, 0, family, "rules");
  if (!table.empty()) rules.put_str(NFTA_RULE_TABLE, table);
  out.set("rules", dump_all(sock, rules, decode_rule, table));
  // A set dump filtered by table needs the family too; filtering here is simpler.
  nl::Message sets = message(NFT_MSG_GETSET, 0, family, "sets");
  Array set_list = dump_all(sock, sets, decode_set, table);
  for (Value& s : set_list) {
    nl::Message els = message(NFT_MSG_GETSETELEM, 0, family_of(s["family"]), describe_set(s));
    els.put_str(NFTA_SET_ELEM_LIST_TABLE, s.str("table"));
    els.put_str(NFTA_SET_ELEM_LIST_SET, s.str("name"));
    Array elements;
    sock.dump(els, [&](const nlmsghdr* h) {
      Value part = decode_elements(h);
      for (const Value& e : part["elements"].as_array()) elements.push_back(e);
    }, 3);
    s.set("elements", Value(std::move(elements)));
  }
  out.set("sets", Value(std::move(set_list)));
  return out;
}

// {family?, table?} → {genid, tables, chains, rules, sets}
Value list(OpContext& ctx, const Value& args) {
  uint8_t family = args.has("family") ? family_of(args["family"]) : static_cast<uint8_t>(NFPROTO_UNSPEC);
  std::string table = args.str_or("table", "");
  nl::Socket& sock = ctx.ns.nfnl();
  for (int attempt = 0;; attempt++) {
    uint32_t before = read_genid(sock);
    Value out = snapshot(sock, family, table);
    uint32_t after = read_genid(sock);
    if (before == after) {
      out.set("genid", static_cast<int64_t>(after));
      return out;
    }
    if (attempt + 1 >= kAttempts) throw DumpInterrupted("NFT_MSG_GETRULE", "ruleset (kept changing while read)");
  }
}

// {} → the current generation id.
Value getgen(OpContext& ctx, const Value&) { return Value(static_cast<int64_t>(read_genid(ctx.ns.nfnl()))); }

NETPLUMB_OP("nft.list", list);
NETPLUMB_OP("nft.getgen", getgen);

}  // namespace
}  // namespace netplumb::nft
