// nat, masq and redir: address/port translation from registers; flags are NF_NAT_RANGE_*.
#include "core/nft/expr.h"

namespace netplumb::nft {
namespace {

const EnumName kTypes[] = {{NFT_NAT_SNAT, "snat"}, {NFT_NAT_DNAT, "dnat"}};
const EnumName kFamilies[] = {{NFPROTO_IPV4, "ip"}, {NFPROTO_IPV6, "ip6"}, {NFPROTO_INET, "inet"}};

const ExprSpec kNat{"nat",
                    {
                        enum_field("natType", NFTA_NAT_TYPE, kTypes),
                        enum_field("family", NFTA_NAT_FAMILY, kFamilies),
                        {"regAddrMin", NFTA_NAT_REG_ADDR_MIN, Kind::Be32},
                        {"regAddrMax", NFTA_NAT_REG_ADDR_MAX, Kind::Be32},
                        {"regProtoMin", NFTA_NAT_REG_PROTO_MIN, Kind::Be32},
                        {"regProtoMax", NFTA_NAT_REG_PROTO_MAX, Kind::Be32},
                        {"flags", NFTA_NAT_FLAGS, Kind::Be32},
                    }};
NETPLUMB_NFT_EXPR(kNat);

const ExprSpec kMasq{"masq",
                     {
                         {"flags", NFTA_MASQ_FLAGS, Kind::Be32},
                         {"regProtoMin", NFTA_MASQ_REG_PROTO_MIN, Kind::Be32},
                         {"regProtoMax", NFTA_MASQ_REG_PROTO_MAX, Kind::Be32},
                     }};
NETPLUMB_NFT_EXPR(kMasq);

const ExprSpec kRedir{"redir",
                      {
                          {"regProtoMin", NFTA_REDIR_REG_PROTO_MIN, Kind::Be32},
                          {"regProtoMax", NFTA_REDIR_REG_PROTO_MAX, Kind::Be32},
                          {"flags", NFTA_REDIR_FLAGS, Kind::Be32},
                      }};
NETPLUMB_NFT_EXPR(kRedir);

}  // namespace
}  // namespace netplumb::nft
