// counter and notrack: statements without registers.
#include "core/nft/expr.h"

namespace netplumb::nft {
namespace {

const ExprSpec kCounter{"counter",
                        {
                            {"bytes", NFTA_COUNTER_BYTES, Kind::Be64},
                            {"packets", NFTA_COUNTER_PACKETS, Kind::Be64},
                        }};
NETPLUMB_NFT_EXPR(kCounter);

const ExprSpec kNotrack{"notrack", {}};
NETPLUMB_NFT_EXPR(kNotrack);

}  // namespace
}  // namespace netplumb::nft
