// Golden bytes of the nf_tables rule builder and expression encoder
// (nft/rule.cc, nft/expr.cc, nft/expr/*.cc) against `nft -e add rule` and
// `nft delete rule`.
//
// The expressions are nft's own for each rule (what it sent), written in the
// model's form with the fields the TypeScript builder sets (src/nft/builder.ts,
// fields.ts): the test pins how the encoder lays expressions out, not which
// expressions the builder picks for a match. Flags are those of nft.apply's
// rule "add" (NLM_F_CREATE | NLM_F_APPEND | NLM_F_ECHO, the echo carrying the
// new rule's handle), which nft -e sends too.
//
// Differences from nft in every add:
// - nft writes some expressions' attributes in another order (meta and ct
//   their key before the register, fib its flags first, lookup the register
//   before the set name).
// - Ours send NFTA_LOOKUP_FLAGS 0 (the builder always sets flags; 0 is the
//   kernel's default), and nft also names the set by its batch id
//   (NFTA_LOOKUP_SET_ID): the kernel looks a set up by name first.
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "check.h"
#include "core/nft/objects.h"
#include "golden/fixtures/nft_rule.h"
#include "golden/golden.h"
#include "golden/roundtrip.h"

using namespace netplumb;
using golden::Differences;
using golden::hex;
using golden::Path;

namespace {

constexpr uint16_t kAddFlags = NLM_F_CREATE | NLM_F_APPEND | NLM_F_ECHO;

Value rule(const char* chain, Array exprs) {
  return Value(Object{{"family", "inet"}, {"table", "np"}, {"chain", chain}, {"exprs", Value(std::move(exprs))}});
}

Value expr(Object o) { return Value(std::move(o)); }
Value meta(const char* key, int dreg) { return expr({{"type", "meta"}, {"key", key}, {"dreg", dreg}}); }
Value cmp(const char* op, const char* data) {
  return expr({{"type", "cmp"}, {"sreg", 1}, {"op", op}, {"data", Value(hex(data))}});
}
Value payload(const char* base, int offset, int len, int dreg) {
  return expr({{"type", "payload"}, {"base", base}, {"offset", offset}, {"len", len}, {"dreg", dreg}});
}
Value lookup(const char* set, int dreg) {
  Object o{{"type", "lookup"}, {"set", set}, {"sreg", 1}, {"flags", 0}};
  if (dreg >= 0) o["dreg"] = dreg;
  return expr(std::move(o));
}

// An attribute inside expression `i` of the rule.
Path in_expr(int i, uint16_t attr) { return {{NFTA_RULE_EXPRESSIONS}, {NFTA_LIST_ELEM, i}, {NFTA_EXPR_DATA}, {attr}}; }

Differences rule_differences(int lookup_index) {
  Differences d(sizeof(nfgenmsg));
  d.any_order = true;
  d.only_ours.push_back(in_expr(lookup_index, NFTA_LOOKUP_FLAGS));
  d.only_theirs.push_back(in_expr(lookup_index, NFTA_LOOKUP_SET_ID));
  return d;
}

void expect_rule(const Value& r, const char* pinned, const char* captured, const Differences& d) {
  nl::Message m = nft::rule_message(NFT_MSG_NEWRULE, kAddFlags, r);
  golden::expect(m, pinned, captured, d);
  golden::expect_decodes_to(m, r);
}

}  // namespace

TEST("nft add rule: loopback sources out of a bridge in a set, counted and masqueraded") {
  Value r = rule("postrouting", {meta("nfproto", 1), cmp("eq", "02"), payload("network", 12, 1, 1), cmp("eq", "7f"),
                                 meta("oifname", 1), lookup("bridges", -1),
                                 expr({{"type", "counter"}, {"packets", 0}, {"bytes", 0}}), expr({{"type", "masq"}})});
  Differences d = rule_differences(5);
  // The builder's counter starts at 0 packets and 0 bytes, which nft leaves
  // out and the kernel assumes.
  d.only_ours.push_back(in_expr(6, NFTA_COUNTER_BYTES));
  d.only_ours.push_back(in_expr(6, NFTA_COUNTER_PACKETS));
  expect_rule(r,
              "74010000060a090c000000000000000001000000070001006e70000010000200"
              "706f7374726f7574696e67004801048024000180090001006d65746100000000"
              "140002800800010000000001080002000000000f2c00018008000100636d7000"
              "20000280080001000000000108000200000000000c0003800500010002000000"
              "340001800c0001007061796c6f61640024000280080001000000000108000200"
              "00000001080003000000000c08000400000000012c00018008000100636d7000"
              "20000280080001000000000108000200000000000c000380050001007f000000"
              "24000180090001006d6574610000000014000280080001000000000108000200"
              "00000007300001800b0001006c6f6f6b75700000200002800c00010062726964"
              "67657300080002000000000108000500000000002c0001800c000100636f756e"
              "746572001c0002800c00010000000000000000000c0002000000000000000000"
              "14000180090001006d6173710000000004000280",
              golden::fixtures::kRuleMasquerade, d);
}

TEST("nft add rule: DNAT of local destinations through a map of address . protocol . port") {
  Value r = rule("prerouting",
                 {expr({{"type", "fib"}, {"flags", 2}, {"result", "type"}, {"dreg", 1}}), cmp("eq", "02000000"),
                  meta("nfproto", 1), cmp("eq", "02"), payload("network", 16, 4, 1), meta("l4proto", 9),
                  payload("transport", 2, 2, 10), lookup("ports4", 1),
                  expr({{"type", "nat"},
                        {"natType", "dnat"},
                        {"family", "ip"},
                        {"regAddrMin", 1},
                        {"regAddrMax", 1},
                        {"regProtoMin", 9},
                        {"regProtoMax", 9},
                        {"flags", 3}})});
  Differences d = rule_differences(7);
  // The builder writes out what the kernel fills in and reports back (max =
  // min, NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED for the
  // registers given), so that the rule reads back as it was written; nft
  // leaves them to the kernel.
  d.only_ours.push_back(in_expr(8, NFTA_NAT_REG_ADDR_MAX));
  d.only_ours.push_back(in_expr(8, NFTA_NAT_REG_PROTO_MAX));
  d.only_ours.push_back(in_expr(8, NFTA_NAT_FLAGS));
  expect_rule(r,
              "e0010000060a090c000000000000000001000000070001006e7000000f000200"
              "707265726f7574696e670000b40104802800018008000100666962001c000280"
              "0800010000000001080002000000000308000300000000022c00018008000100"
              "636d700020000280080001000000000108000200000000000c00038008000100"
              "0200000024000180090001006d65746100000000140002800800010000000001"
              "080002000000000f2c00018008000100636d7000200002800800010000000001"
              "08000200000000000c0003800500010002000000340001800c0001007061796c"
              "6f61640024000280080001000000000108000200000000010800030000000010"
              "080004000000000424000180090001006d657461000000001400028008000100"
              "000000090800020000000010340001800c0001007061796c6f61640024000280"
              "080001000000000a080002000000000208000300000000020800040000000002"
              "380001800b0001006c6f6f6b75700000280002800b000100706f727473340000"
              "0800020000000001080003000000000108000500000000004800018008000100"
              "6e6174003c000280080001000000000108000200000000020800030000000001"
              "0800040000000001080005000000000908000600000000090800070000000003",
              golden::fixtures::kRuleDnatMap, d);
}

TEST("nft add rule: conntrack state established or related, accept") {
  Value accept(Object{{"verdict", "accept"}});
  Value r = rule("forward", {expr({{"type", "ct"}, {"key", "state"}, {"dreg", 1}}),
                             expr({{"type", "bitwise"},
                                   {"sreg", 1},
                                   {"dreg", 1},
                                   {"len", 4},
                                   {"op", "bool"},
                                   {"mask", Value(hex("06000000"))},
                                   {"xor", Value(hex("00000000"))}}),
                             cmp("neq", "00000000"),
                             expr({{"type", "immediate"}, {"dreg", 0}, {"data", accept}})});
  Differences d(sizeof(nfgenmsg));
  d.any_order = true;
  // The builder names the bitwise operation; nft leaves out NFT_BITWISE_BOOL, the kernel's default.
  d.only_ours.push_back(in_expr(1, NFTA_BITWISE_OP));
  expect_rule(r,
              "f4000000060a090c000000000000000001000000070001006e7000000c000200"
              "666f727761726400cc0004802000018007000100637400001400028008000100"
              "0000000108000200000000004c0001800c00010062697477697365003c000280"
              "0800010000000001080002000000000108000300000000040800060000000000"
              "0c00048008000100060000000c00058008000100000000002c00018008000100"
              "636d700020000280080001000000000108000200000000010c00038008000100"
              "00000000300001800e000100696d6d6564696174650000001c00028008000100"
              "00000000100002800c0002800800010000000001",
              golden::fixtures::kRuleCtState, d);
}

TEST("nft add rule: verdict map on the input interface") {
  Value r = rule("forward", {meta("iifname", 1), lookup("from_bridge", 0)});
  expect_rule(r,
              "8c000000060a090c000000000000000001000000070001006e7000000c000200"
              "666f7277617264006400048024000180090001006d6574610000000014000280"
              "080001000000000108000200000000063c0001800b0001006c6f6f6b75700000"
              "2c0002801000010066726f6d5f62726964676500080002000000000108000300"
              "000000000800050000000000",
              golden::fixtures::kRuleVmap, rule_differences(1));
}

TEST("nft delete rule by handle") {
  // What nft.apply sends for {op: "delete", kind: "rule"}: the rule without its expressions, no flags.
  Value r(Object{{"family", "inet"}, {"table", "np"}, {"chain", "forward"}, {"handle", 12}});
  nl::Message m = nft::rule_message(NFT_MSG_DELRULE, 0, r);
  golden::expect(m,
                 "34000000080a0100000000000000000001000000070001006e7000000c000200"
                 "666f7277617264000c000300000000000000000c",
                 golden::fixtures::kRuleDelete, Differences(sizeof(nfgenmsg)));
}
