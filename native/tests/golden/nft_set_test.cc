// Golden bytes of the nf_tables set builder (nft/set.cc) against `nft add
// set` and `nft add map`, with the set descriptions the TypeScript side makes
// for the firewall's sets (src/nft/objects.ts: NftSet, NftMap).
//
// The builder is called with NLM_F_CREATE, as nft.apply sends an "add" and
// as nft does. Both number the set NFTA_SET_ID 1 (its id in the batch).
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "check.h"
#include "core/nft/objects.h"
#include "golden/fixtures/nft_set.h"
#include "golden/golden.h"
#include "golden/roundtrip.h"

using namespace netplumb;
using golden::Differences;
using golden::hex;

namespace {

constexpr int64_t kIfname = 41;             // nft's TYPE_IFNAME
constexpr int64_t kIpv4Addr = 7;            // TYPE_IPADDR
constexpr int64_t kVerdict = 0xffffff00;    // NFT_DATA_VERDICT as a set data type
// ipv4_addr . inet_proto . inet_service, and ipv4_addr . inet_service: each
// field's type shifted in by 6 bits (TYPE_INET_PROTOCOL 12, TYPE_INET_SERVICE 13).
constexpr int64_t kAddrProtoService = (7 << 12) | (12 << 6) | 13;
constexpr int64_t kAddrService = (7 << 6) | 13;

Value set(Object o) {
  o["family"] = "inet";
  o["table"] = "np";
  return Value(std::move(o));
}

// The bytes, and the set read back from them by the registered decoder.
void expect_set(const Value& s, const char* pinned, const char* captured, const Differences& d) {
  nl::Message m = nft::set_message(NFT_MSG_NEWSET, NLM_F_CREATE, s);
  golden::expect(m, pinned, captured, d);
  golden::expect_decodes_to(m, s);
}

Value flags(std::initializer_list<const char*> names) {
  Array a;
  for (const char* n : names) a.push_back(Value(n));
  return Value(std::move(a));
}

}  // namespace

TEST("nft add set of interface names: host byte order in userdata, as nft writes it") {
  Value s = set(Object{
      {"name", "bridges"}, {"keyType", kIfname}, {"keyLen", 16}, {"keyByteorder", "host"}, {"flags", flags({})}});
  expect_set(s,
             "54000000090a0104000000000000000001000000070001006e7000000c000200"
             "6272696467657300080003000000000008000400000000290800050000000010"
             "08000a00000000010a000d000004010000000000",
             golden::fixtures::kSetIfname, Differences(sizeof(nfgenmsg)));
}

TEST("nft add map with concatenated key and data (the published-ports map)") {
  Value s = set(Object{{"name", "ports4"},
                       {"keyType", kAddrProtoService},
                       {"keyLen", 12},
                       {"fields", Value(Array{Value(4), Value(1), Value(2)})},
                       {"dataType", kAddrService},
                       {"dataLen", 8},
                       {"flags", flags({"map", "concat"})}});
  Differences d(sizeof(nfgenmsg));
  // Ours describe the key's fields (NFTA_SET_DESC_CONCAT: 4, 1 and 2 bytes)
  // and so must flag the set NFT_SET_CONCAT: the kernel refuses one without
  // the other. nft 1.0.6 sends neither for a set without intervals. A hash
  // set, which both get, keeps the field lengths without using them.
  d.only_ours.push_back({{NFTA_SET_DESC}});
  d.patch_theirs.push_back({{{NFTA_SET_FLAGS}}, hex("00000088")});  // NFT_SET_MAP | NFT_SET_CONCAT
  // nft's userdata records the byte orders and the typeof of each field, for
  // its own listing; the kernel stores userdata without reading it.
  d.only_theirs.push_back({{NFTA_SET_USERDATA}});
  expect_set(s,
             "84000000090a0104000000000000000001000000070001006e7000000b000200"
             "706f7274733400000800030000000088080004000000730d080005000000000c"
             "08000600000001cd08000700000000082c000980280002800c00018008000100"
             "000000040c00018008000100000000010c000180080001000000000208000a00"
             "00000001",
             golden::fixtures::kMapConcat, d);
}

TEST("nft add map of address intervals to verdicts") {
  Value s = set(Object{{"name", "nat_src4"},
                       {"keyType", kIpv4Addr},
                       {"keyLen", 4},
                       {"dataType", kVerdict},
                       {"flags", flags({"interval", "map"})}});
  Differences d(sizeof(nfgenmsg));
  // nft sends NFTA_SET_DATA_LEN 0 for a verdict map; the kernel ignores any
  // data length there and uses the size of a verdict.
  d.only_theirs.push_back({{NFTA_SET_DATA_LEN}});
  // Big-endian keys: ours carry no byte order (nft's default), nft writes it out.
  d.only_theirs.push_back({{NFTA_SET_USERDATA}});
  expect_set(s,
             "54000000090a0104000000000000000001000000070001006e7000000d000200"
             "6e61745f7372633400000000080003000000000c080004000000000708000500"
             "0000000408000600ffffff0008000a0000000001",
             golden::fixtures::kMapIntervalVerdict, d);
}

TEST("nft add map of interface names to verdicts") {
  Value s = set(Object{{"name", "from_bridge"},
                       {"keyType", kIfname},
                       {"keyLen", 16},
                       {"keyByteorder", "host"},
                       {"dataType", kVerdict},
                       {"flags", flags({"map"})}});
  Differences d(sizeof(nfgenmsg));
  d.only_theirs.push_back({{NFTA_SET_DATA_LEN}});  // as above
  // nft's userdata adds the data's byte order (0: none) and NFTNL_UDATA_SET_DATA_INTERVAL 0
  // to the key's byte order, which ours carry alone (nft lists the keys the same).
  d.patch_theirs.push_back({{{NFTA_SET_USERDATA}}, hex("000401000000")});
  expect_set(s,
             "60000000090a0104000000000000000001000000070001006e70000010000200"
             "66726f6d5f627269646765000800030000000008080004000000002908000500"
             "0000001008000600ffffff0008000a00000000010a000d000004010000000000",
             golden::fixtures::kMapIfnameVerdict, d);
}
