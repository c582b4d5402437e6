// immediate: a constant or a verdict (dreg 0) into a register.
#include "core/nft/expr.h"

namespace netplumb::nft {
namespace {

const ExprSpec kImmediate{"immediate",
                          {
                              {"dreg", NFTA_IMMEDIATE_DREG, Kind::Be32},
                              {"data", NFTA_IMMEDIATE_DATA, Kind::Data},
                          }};
NETPLUMB_NFT_EXPR(kImmediate);

}  // namespace
}  // namespace netplumb::nft
