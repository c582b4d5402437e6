// cmp, bitwise and range: comparisons and masks on a register.
#include "core/nft/expr.h"

namespace netplumb::nft {
namespace {

const EnumName kCmpOps[] = {
    {NFT_CMP_EQ, "eq"}, {NFT_CMP_NEQ, "neq"}, {NFT_CMP_LT, "lt"},
    {NFT_CMP_LTE, "lte"}, {NFT_CMP_GT, "gt"}, {NFT_CMP_GTE, "gte"},
};

const ExprSpec kCmp{"cmp",
                    {
                        {"sreg", NFTA_CMP_SREG, Kind::Be32},
                        enum_field("op", NFTA_CMP_OP, kCmpOps),
                        {"data", NFTA_CMP_DATA, Kind::Data},
                    }};
NETPLUMB_NFT_EXPR(kCmp);

// NFT_BITWISE_MASK_XOR was called NFT_BITWISE_BOOL before; nft calls it "bool".
const EnumName kBitwiseOps[] = {{0, "bool"}, {1, "lshift"}, {2, "rshift"}};

const ExprSpec kBitwise{"bitwise",
                        {
                            {"sreg", NFTA_BITWISE_SREG, Kind::Be32},
                            {"dreg", NFTA_BITWISE_DREG, Kind::Be32},
                            {"len", NFTA_BITWISE_LEN, Kind::Be32},
                            enum_field("op", NFTA_BITWISE_OP, kBitwiseOps),
                            {"mask", NFTA_BITWISE_MASK, Kind::Data},
                            {"xor", NFTA_BITWISE_XOR, Kind::Data},
                            {"data", NFTA_BITWISE_DATA, Kind::Data},
                        }};
NETPLUMB_NFT_EXPR(kBitwise);

const EnumName kRangeOps[] = {{NFT_RANGE_EQ, "eq"}, {NFT_RANGE_NEQ, "neq"}};

const ExprSpec kRange{"range",
                      {
                          {"sreg", NFTA_RANGE_SREG, Kind::Be32},
                          enum_field("op", NFTA_RANGE_OP, kRangeOps),
                          {"from", NFTA_RANGE_FROM_DATA, Kind::Data},
                          {"to", NFTA_RANGE_TO_DATA, Kind::Data},
                      }};
NETPLUMB_NFT_EXPR(kRange);

}  // namespace
}  // namespace netplumb::nft
