// Golden bytes of the nf_tables table and chain builders (nft/table.cc,
// nft/chain.cc) against `nft add table` and `nft add chain`.
//
// The builders are called with the flags nft.apply gives an "add" change
// (NLM_F_CREATE). The socket wraps them in a batch and adds NLM_F_ACK; nft
// sends neither ACK nor, for tables, CREATE (see each case).
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "check.h"
#include "core/nft/objects.h"
#include "golden/fixtures/nft_table_chain.h"
#include "golden/golden.h"
#include "golden/roundtrip.h"

using namespace netplumb;
using golden::Differences;

namespace {

// The bytes, and the object read back from them by the registered decoder.
void expect_table(const Value& t, const char* pinned, const char* captured, const Differences& d) {
  nl::Message m = nft::table_message(NFT_MSG_NEWTABLE, NLM_F_CREATE, t);
  golden::expect(m, pinned, captured, d);
  golden::expect_decodes_to(m, t);
}

void expect_chain(const Value& c, const char* pinned, const char* captured, const Differences& d) {
  nl::Message m = nft::chain_message(NFT_MSG_NEWCHAIN, NLM_F_CREATE, c);
  golden::expect(m, pinned, captured, d);
  golden::expect_decodes_to(m, c);
}

Differences table_differences() {
  Differences d(sizeof(nfgenmsg));
  // nf_tables_newtable creates a missing table whatever the flags and only
  // looks at NLM_F_EXCL and NLM_F_REPLACE for an existing one, so
  // NLM_F_CREATE changes nothing; ours send it as for every "add".
  d.flags_only_ours = NLM_F_CREATE;
  return d;
}

}  // namespace

TEST("nft add table inet without flags") {
  Differences d = table_differences();
  // nft always sends NFTA_TABLE_FLAGS, 0 here; ours only when flags are
  // given. A new table starts with flags 0 either way. (For an existing
  // table the two differ: nft's 0 would wake a dormant one, ours leave its
  // flags alone, which is what "add" means in the model.)
  d.only_theirs.push_back({{NFTA_TABLE_FLAGS}});
  expect_table(Value(Object{{"family", "inet"}, {"name", "np"}}),
               "1c000000000a0104000000000000000001000000070001006e700000",
               golden::fixtures::kTableInet, d);
}

TEST("nft add table ip with flags dormant and a comment in userdata") {
  Value t(Object{{"family", "ip"}, {"name", "np2"}, {"flags", Value(Array{Value("dormant")})}, {"comment", "two"}});
  expect_table(t,
               "30000000000a0104000000000000000002000000080001006e70320008000200"
               "000000010a000600000474776f000000",
               golden::fixtures::kTableDormantComment, table_differences());
}

namespace {

Value base_chain(const char* name, const char* type, const char* hook, int priority, const char* policy) {
  return Value(Object{{"family", "inet"},
                      {"table", "np"},
                      {"name", name},
                      {"type", type},
                      {"hook", hook},
                      {"priority", priority},
                      {"policy", policy}});
}

Differences base_chain_differences() {
  Differences d(sizeof(nfgenmsg));
  // nft writes NFTA_CHAIN_TYPE and NFTA_CHAIN_POLICY before NFTA_CHAIN_HOOK; ours after.
  d.any_order = true;
  return d;
}

}  // namespace

TEST("nft add chain: nat base chain at prerouting, priority dstnat (-100), policy accept") {
  expect_chain(base_chain("prerouting", "nat", "prerouting", -100, "accept"),
               "50000000030a0104000000000000000001000000070001006e7000000f000300"
               "707265726f7574696e67000014000480080001000000000008000200ffffff9c"
               "080007006e6174000800050000000001",
               golden::fixtures::kChainNatPrerouting, base_chain_differences());
}

TEST("nft add chain: nat base chain at postrouting, priority srcnat (100)") {
  expect_chain(base_chain("postrouting", "nat", "postrouting", 100, "accept"),
               "50000000030a0104000000000000000001000000070001006e70000010000300"
               "706f7374726f7574696e67001400048008000100000000040800020000000064"
               "080007006e6174000800050000000001",
               golden::fixtures::kChainNatPostrouting, base_chain_differences());
}

TEST("nft add chain: filter base chain at forward, policy drop") {
  expect_chain(base_chain("forward", "filter", "forward", 0, "drop"),
               "50000000030a0104000000000000000001000000070001006e7000000c000300"
               "666f72776172640014000480080001000000000208000200000000000b000700"
               "66696c74657200000800050000000000",
               golden::fixtures::kChainFilterForward, base_chain_differences());
}

TEST("nft add chain: a regular chain (a jump target)") {
  Value c(Object{{"family", "inet"}, {"table", "np"}, {"name", "nat-br0"}});
  expect_chain(c,
               "28000000030a0104000000000000000001000000070001006e7000000c000300"
               "6e61742d62723000",
               golden::fixtures::kChainRegular, Differences(sizeof(nfgenmsg)));
}
