// lookup: set membership (flags 1 = NFT_LOOKUP_F_INV), or a map lookup into dreg.
#include "core/nft/expr.h"

namespace netplumb::nft {
namespace {

const ExprSpec kLookup{"lookup",
                       {
                           {"set", NFTA_LOOKUP_SET, Kind::Str},
                           {"setId", NFTA_LOOKUP_SET_ID, Kind::Be32},
                           {"sreg", NFTA_LOOKUP_SREG, Kind::Be32},
                           {"dreg", NFTA_LOOKUP_DREG, Kind::Be32},
                           {"flags", NFTA_LOOKUP_FLAGS, Kind::Be32},
                       }};
NETPLUMB_NFT_EXPR(kLookup);

}  // namespace
}  // namespace netplumb::nft
