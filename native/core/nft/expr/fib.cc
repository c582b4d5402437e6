// fib: a route lookup (flags NFTA_FIB_F_*), e.g. the address type of daddr.
#include "core/nft/expr.h"

namespace netplumb::nft {
namespace {

const EnumName kResults[] = {
    {NFT_FIB_RESULT_OIF, "oif"}, {NFT_FIB_RESULT_OIFNAME, "oifname"}, {NFT_FIB_RESULT_ADDRTYPE, "type"},
};

const ExprSpec kFib{"fib",
                    {
                        {"dreg", NFTA_FIB_DREG, Kind::Be32},
                        enum_field("result", NFTA_FIB_RESULT, kResults),
                        {"flags", NFTA_FIB_FLAGS, Kind::Be32},
                    }};
NETPLUMB_NFT_EXPR(kFib);

}  // namespace
}  // namespace netplumb::nft
