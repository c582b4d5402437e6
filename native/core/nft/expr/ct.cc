// ct: conntrack state, status, mark, ... into or out of a register.
#include "core/nft/expr.h"

namespace netplumb::nft {
namespace {

const EnumName kKeys[] = {
    {NFT_CT_STATE, "state"},     {NFT_CT_DIRECTION, "direction"}, {NFT_CT_STATUS, "status"},
    {NFT_CT_MARK, "mark"},       {NFT_CT_EXPIRATION, "expiration"}, {NFT_CT_HELPER, "helper"},
    {NFT_CT_L3PROTOCOL, "l3proto"}, {NFT_CT_SRC, "saddr"},       {NFT_CT_DST, "daddr"},
    {NFT_CT_PROTOCOL, "protocol"}, {NFT_CT_PROTO_SRC, "proto-src"}, {NFT_CT_PROTO_DST, "proto-dst"},
    {NFT_CT_ZONE, "zone"},       {NFT_CT_ID, "id"},
};

const ExprSpec kCt{"ct",
                   {
                       {"dreg", NFTA_CT_DREG, Kind::Be32},
                       enum_field("key", NFTA_CT_KEY, kKeys),
                       {"direction", NFTA_CT_DIRECTION, Kind::U8},
                       {"sreg", NFTA_CT_SREG, Kind::Be32},
                   }};
NETPLUMB_NFT_EXPR(kCt);

}  // namespace
}  // namespace netplumb::nft
