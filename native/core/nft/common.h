// Shared pieces of the nf_tables codec: families, message headers, nft_data
// (values and verdicts) and nft's userdata TLVs (comments), so that every
// object builder and decoder speaks them the same way.
#pragma once

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cstdint>
#include <string>

#include "core/netlink/attrs.h"
#include "core/netlink/message.h"
#include "core/value.h"

// Kernel 6.9 added it; older UAPI headers lack it.
#ifndef NFT_TABLE_F_PERSIST
#define NFT_TABLE_F_PERSIST 0x4
#endif

namespace netplumb::nft {

// "ip", "ip6", "inet", "bridge", "netdev", "arp" <-> NFPROTO_*.
uint8_t family_of(const Value& name, const char* field = "family");
Value family_name(uint8_t family);

inline uint16_t msg_type(uint16_t nft_msg) { return static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | nft_msg); }
// "NFT_MSG_NEWRULE" for errors.
std::string msg_name(uint16_t nft_msg);

// A message of the nf_tables subsystem with its nfgenmsg header.
nl::Message message(uint16_t nft_msg, uint16_t flags, uint8_t family, std::string object);
// The family of a received nf_tables message, and its attributes after nfgenmsg.
uint8_t family_of_message(const nlmsghdr* h);
nl::Attrs attrs_of_message(const nlmsghdr* h);

// nft_data: Bytes → NFTA_DATA_VALUE; {verdict: "accept"|..., chain?} → NFTA_DATA_VERDICT.
void put_data(nl::Message& m, uint16_t attr, const Value& v, const char* field);
Value get_data(const nl::Attr& a);
Value verdict_value(const nl::Attrs& verdict);

// nft stores comments as a TLV (type u8, length u8, NUL-terminated string)
// inside the object's userdata; `type` is NFTNL_UDATA_*_COMMENT of the object.
Bytes comment_udata(uint8_t type, const std::string& comment);
std::string comment_of_udata(const nl::Attr& a, uint8_t type);

// Userdata comment type per object, as nft numbers them.
constexpr uint8_t kTableComment = 0;
constexpr uint8_t kChainComment = 0;
constexpr uint8_t kRuleComment = 0;
constexpr uint8_t kSetComment = 7;
constexpr uint8_t kElemComment = 0;

// Names ↔ numbers for small enums given as tables of {value, name}.
struct EnumName {
  uint32_t value;
  const char* name;
};
template <size_t N>
uint32_t enum_value(const Value& v, const EnumName (&names)[N], const char* field);
template <size_t N>
Value enum_name(uint32_t v, const EnumName (&names)[N]);

uint32_t enum_value_in(const Value& v, const EnumName* names, size_t n, const char* field);
Value enum_name_in(uint32_t v, const EnumName* names, size_t n);

// Flag sets: an array of names ↔ the OR of their bits (unknown bits read back as a number).
uint32_t flags_value_in(const Value& v, const EnumName* names, size_t n, const char* field);
Value flag_names_in(uint32_t f, const EnumName* names, size_t n);
template <size_t N>
uint32_t flags_value(const Value& v, const EnumName (&names)[N], const char* field = "flags") {
  return flags_value_in(v, names, N, field);
}
template <size_t N>
Value flag_names(uint32_t f, const EnumName (&names)[N]) {
  return flag_names_in(f, names, N);
}

template <size_t N>
uint32_t enum_value(const Value& v, const EnumName (&names)[N], const char* field) {
  return enum_value_in(v, names, N, field);
}
template <size_t N>
Value enum_name(uint32_t v, const EnumName (&names)[N]) {
  return enum_name_in(v, names, N);
}

}  // namespace netplumb::nft
