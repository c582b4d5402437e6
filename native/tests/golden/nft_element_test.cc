// Golden bytes of the nf_tables element builder (nft/element.cc) against
// `nft add element` and `nft delete element`, with the elements the
// TypeScript side makes (src/nft/objects.ts: element, entry, prefix).
//
// Differences from nft in every add: nft also names the set by its id in
// its batch (NFTA_SET_ELEM_LIST_SET_ID); the kernel looks a set up by name
// first and uses the id only for a set added in the same batch and not yet
// found by name, so ours send the name alone.
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "check.h"
#include "core/nft/objects.h"
#include "golden/fixtures/nft_element.h"
#include "golden/golden.h"
#include "golden/roundtrip.h"

using namespace netplumb;
using golden::Differences;
using golden::hex;

namespace {

// The bytes (one message: a few elements are far from the size at which the
// builder splits a list), and the elements read back by the registered decoder.
void expect_add(const char* set, Array elements, const char* pinned, const char* captured, const Differences& d) {
  Value e(Object{{"family", "inet"}, {"table", "np"}, {"set", set}, {"elements", Value(std::move(elements))}});
  std::vector<nft::ElementChunk> chunks = nft::element_messages(NFT_MSG_NEWSETELEM, NLM_F_CREATE, e);
  CHECK_EQ(chunks.size(), size_t{1});
  golden::expect(chunks.front().msg, pinned, captured, d);
  golden::expect_decodes_to(chunks.front().msg, e);
}

Differences add_differences() {
  Differences d(sizeof(nfgenmsg));
  d.only_theirs.push_back({{NFTA_SET_ELEM_LIST_SET_ID}});
  return d;
}

}  // namespace

TEST("nft add element: an interface name, padded to IFNAMSIZ") {
  Array els{Value(Object{{"key", Value(hex("62723000000000000000000000000000"))}})};
  expect_add("bridges", std::move(els),
             "480000000c0a0104000000000000000001000000070001006e7000000c000200"
             "6272696467657300200003801c00018018000180140001006272300000000000"
             "0000000000000000",
             golden::fixtures::kElementIfname, add_differences());
}

TEST("nft add element: concatenated key and data, each field in a 4-byte register word, with a comment") {
  Array els{Value(Object{{"key", Value(hex("7f000001" "06000000" "1f900000"))},
                         {"data", Value(hex("0a010202" "00500000"))},
                         {"comment", "ep1"}})};
  expect_add("ports4", std::move(els),
             "600000000c0a0104000000000000000001000000070001006e7000000b000200"
             "706f727473340000380003803400018014000180100001007f00000106000000"
             "1f900000100002800c0001000a010202005000000a0006000004657031000000",
             golden::fixtures::kElementConcatComment, add_differences());
}

TEST("nft add element: an address prefix to a jump, as its start and the end after it") {
  Value jump(Object{{"verdict", "jump"}, {"chain", "nat-br0"}});
  Array els{Value(Object{{"key", Value(hex("0a010000"))}, {"data", jump}}),
            Value(Object{{"key", Value(hex("0a020000"))}, {"flags", NFT_SET_ELEM_INTERVAL_END}})};
  Differences d = add_differences();
  // nft numbers the items of the element list 1, 2, 3 as attribute types.
  d.theirs_numbered_lists.push_back({{NFTA_SET_ELEM_LIST_ELEMENTS}});
  // Into an empty interval set nft first adds an interval end at 0.0.0.0:
  // "nothing below 10.1.0.0". The kernel's rbtree finds no interval for a
  // key below the first start without it, so ours add the prefix alone.
  d.only_theirs.push_back({{NFTA_SET_ELEM_LIST_ELEMENTS}, {NFTA_LIST_ELEM, 0}});
  // nft writes NFTA_SET_ELEM_FLAGS before the key; ours after.
  d.any_order = true;
  expect_add("nat_src4", std::move(els),
             "740000000c0a0104000000000000000001000000070001006e7000000d000200"
             "6e61745f7372633400000000480003802c0001800c000180080001000a010000"
             "1c0002801800028008000100fffffffd0c0002006e61742d6272300018000180"
             "0c000180080001000a0200000800030000000001",
             golden::fixtures::kElementPrefixJump, d);
}

TEST("nft delete element: the key alone") {
  Value e(Object{{"family", "inet"},
                 {"table", "np"},
                 {"set", "bridges"},
                 {"elements", Value(Array{Value(Object{{"key", Value(hex("62723000000000000000000000000000"))}})})}});
  // nft.apply's "delete" sends no flags, as nft does, and nft names the set by name alone here.
  std::vector<nft::ElementChunk> chunks = nft::element_messages(NFT_MSG_DELSETELEM, 0, e);
  CHECK_EQ(chunks.size(), size_t{1});
  golden::expect(chunks.front().msg,
                 "480000000e0a0100000000000000000001000000070001006e7000000c000200"
                 "6272696467657300200003801c00018018000180140001006272300000000000"
                 "0000000000000000",
                 golden::fixtures::kElementDelete, Differences(sizeof(nfgenmsg)));
}
