// decode(encode(x)) = x for every expression kind the encoder knows
// (nft/expr/*.cc), each with all of its fields set, through the nf_tables
// rule decoder registered for NFT_MSG_NEWRULE.
#include <linux/netfilter/nf_tables.h>

#include "check.h"
#include "core/errors.h"
#include "core/nft/objects.h"
#include "golden/golden.h"
#include "golden/roundtrip.h"

using namespace netplumb;
using golden::hex;

namespace {

void round_trip(Object e) {
  Value x(std::move(e));
  Value r(Object{{"family", "inet"}, {"table", "t"}, {"chain", "c"}, {"exprs", Value(Array{x})}});
  golden::expect_decodes_to(nft::rule_message(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, r), r);
}

}  // namespace

TEST("expr cmp round-trips (every operator)") {
  for (const char* op : {"eq", "neq", "lt", "lte", "gt", "gte"})
    round_trip({{"type", "cmp"}, {"sreg", 1}, {"op", op}, {"data", Value(hex("0a000001"))}});
}

TEST("expr bitwise round-trips: mask and xor, and a shift") {
  round_trip({{"type", "bitwise"}, {"sreg", 1}, {"dreg", 2}, {"len", 4}, {"op", "bool"},
              {"mask", Value(hex("ffffff00"))}, {"xor", Value(hex("00000000"))}});
  round_trip({{"type", "bitwise"}, {"sreg", 1}, {"dreg", 1}, {"len", 4}, {"op", "lshift"},
              {"data", Value(hex("08000000"))}});
}

TEST("expr range round-trips") {
  round_trip({{"type", "range"}, {"sreg", 1}, {"op", "neq"}, {"from", Value(hex("0400"))}, {"to", Value(hex("0800"))}});
}

TEST("expr counter and notrack round-trip") {
  round_trip({{"type", "counter"}, {"bytes", int64_t{1} << 40}, {"packets", 7}});
  round_trip({{"type", "notrack"}});
}

TEST("expr ct round-trips: a load with direction, and a store") {
  round_trip({{"type", "ct"}, {"dreg", 1}, {"key", "saddr"}, {"direction", 1}});
  round_trip({{"type", "ct"}, {"key", "mark"}, {"sreg", 1}});
}

TEST("expr fib round-trips") {
  round_trip({{"type", "fib"}, {"dreg", 1}, {"result", "oifname"}, {"flags", 0x2 | 0x8}});
}

TEST("expr immediate round-trips: a value, a verdict, a jump") {
  round_trip({{"type", "immediate"}, {"dreg", 1}, {"data", Value(hex("1f90"))}});
  round_trip({{"type", "immediate"}, {"dreg", 0}, {"data", Value(Object{{"verdict", "drop"}})}});
  round_trip({{"type", "immediate"}, {"dreg", 0}, {"data", Value(Object{{"verdict", "jump"}, {"chain", "to-br0"}})}});
}

TEST("expr lookup round-trips: by name and batch id, into a register, inverted") {
  round_trip({{"type", "lookup"}, {"set", "ports4"}, {"setId", 3}, {"sreg", 1}, {"dreg", 1}, {"flags", 0}});
  round_trip({{"type", "lookup"}, {"set", "bridges"}, {"sreg", 1}, {"flags", NFT_LOOKUP_F_INV}});
}

TEST("expr meta round-trips: a load and a store") {
  round_trip({{"type", "meta"}, {"dreg", 1}, {"key", "iifkind"}});
  round_trip({{"type", "meta"}, {"key", "mark"}, {"sreg", 2}});
}

TEST("expr nat, masq and redir round-trip") {
  round_trip({{"type", "nat"}, {"natType", "snat"}, {"family", "ip6"}, {"regAddrMin", 1}, {"regAddrMax", 2},
              {"regProtoMin", 3}, {"regProtoMax", 4}, {"flags", 0x1 | 0x2 | 0x10}});
  round_trip({{"type", "masq"}, {"flags", 0x4}, {"regProtoMin", 1}, {"regProtoMax", 2}});
  round_trip({{"type", "redir"}, {"regProtoMin", 1}, {"regProtoMax", 1}, {"flags", 0x2}});
}

TEST("expr payload round-trips: a load and a store with checksum fix-up") {
  round_trip({{"type", "payload"}, {"dreg", 1}, {"base", "transport"}, {"offset", 2}, {"len", 2}});
  round_trip({{"type", "payload"}, {"base", "network"}, {"offset", 16}, {"len", 4}, {"sreg", 1},
              {"csumType", 1}, {"csumOffset", 10}, {"csumFlags", 0}});
}

TEST("an expression the encoder does not know is refused before anything is sent") {
  Value quota(Object{{"type", "quota"}});
  Value r(Object{{"family", "inet"}, {"table", "t"}, {"chain", "c"}, {"exprs", Value(Array{quota})}});
  CHECK_THROWS(InvalidArgument, nft::rule_message(NFT_MSG_NEWRULE, 0, r));
}
