// payload: loads header bytes into a register (or writes them, with checksum fixup).
#include "core/nft/expr.h"

namespace netplumb::nft {
namespace {

const EnumName kBases[] = {
    {NFT_PAYLOAD_LL_HEADER, "link"},
    {NFT_PAYLOAD_NETWORK_HEADER, "network"},
    {NFT_PAYLOAD_TRANSPORT_HEADER, "transport"},
    {NFT_PAYLOAD_INNER_HEADER, "inner"},
};

const ExprSpec kPayload{"payload",
                        {
                            {"dreg", NFTA_PAYLOAD_DREG, Kind::Be32},
                            enum_field("base", NFTA_PAYLOAD_BASE, kBases),
                            {"offset", NFTA_PAYLOAD_OFFSET, Kind::Be32},
                            {"len", NFTA_PAYLOAD_LEN, Kind::Be32},
                            {"sreg", NFTA_PAYLOAD_SREG, Kind::Be32},
                            {"csumType", NFTA_PAYLOAD_CSUM_TYPE, Kind::Be32},
                            {"csumOffset", NFTA_PAYLOAD_CSUM_OFFSET, Kind::Be32},
                            {"csumFlags", NFTA_PAYLOAD_CSUM_FLAGS, Kind::Be32},
                        }};
NETPLUMB_NFT_EXPR(kPayload);

}  // namespace
}  // namespace netplumb::nft
