// meta: packet metadata (interfaces, protocols, mark) into or out of a register.
#include "core/nft/expr.h"

namespace netplumb::nft {
namespace {

const EnumName kKeys[] = {
    {NFT_META_LEN, "len"},         {NFT_META_PROTOCOL, "protocol"}, {NFT_META_PRIORITY, "priority"},
    {NFT_META_MARK, "mark"},       {NFT_META_IIF, "iif"},           {NFT_META_OIF, "oif"},
    {NFT_META_IIFNAME, "iifname"}, {NFT_META_OIFNAME, "oifname"},   {NFT_META_IIFTYPE, "iiftype"},
    {NFT_META_OIFTYPE, "oiftype"}, {NFT_META_SKUID, "skuid"},       {NFT_META_SKGID, "skgid"},
    {NFT_META_NFTRACE, "nftrace"}, {NFT_META_NFPROTO, "nfproto"},   {NFT_META_L4PROTO, "l4proto"},
    {NFT_META_BRI_IIFNAME, "ibrname"}, {NFT_META_BRI_OIFNAME, "obrname"},
    {NFT_META_PKTTYPE, "pkttype"}, {NFT_META_CPU, "cpu"},           {NFT_META_IIFGROUP, "iifgroup"},
    {NFT_META_OIFGROUP, "oifgroup"}, {NFT_META_CGROUP, "cgroup"},   {NFT_META_PRANDOM, "random"},
    {NFT_META_IIFKIND, "iifkind"}, {NFT_META_OIFKIND, "oifkind"},
};

const ExprSpec kMeta{"meta",
                     {
                         {"dreg", NFTA_META_DREG, Kind::Be32},
                         enum_field("key", NFTA_META_KEY, kKeys),
                         {"sreg", NFTA_META_SREG, Kind::Be32},
                     }};
NETPLUMB_NFT_EXPR(kMeta);

}  // namespace
}  // namespace netplumb::nft
