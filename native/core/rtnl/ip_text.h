// IP addresses between text and the bytes netlink carries, shared by the
// address, route and neighbour builders and parsers.
#pragma once

#include <cstdint>
#include <string>

#include "core/value.h"

namespace netplumb::rtnl {

struct IpBytes {
  int family = 0;  // AF_INET or AF_INET6
  Bytes bytes;     // 4 or 16 bytes, network order
};

// "10.0.0.1" or "fd00::1"; throws InvalidArgument naming `field` otherwise.
IpBytes parse_ip(const std::string& text, const char* field);

struct Prefix {
  IpBytes ip;
  int length = 0;
};

// "10.0.0.1/24" or "fd00::/64"; a bare address takes the full length when
// `allow_bare`. Throws InvalidArgument naming `field`.
Prefix parse_prefix(const std::string& text, const char* field, bool allow_bare = false);

// The text form of 4 or 16 address bytes; empty for any other length.
std::string format_ip(int family, const uint8_t* data, size_t len);
inline std::string format_ip(int family, const Bytes& b) { return format_ip(family, b.data(), b.size()); }

// 4 or 6 for AF_INET / AF_INET6, as the TypeScript API spells families.
int64_t family_number(int af);
// AF_INET / AF_INET6 for 4 / 6; throws InvalidArgument on anything else.
int af_of_family_number(int64_t n, const char* field);

}  // namespace netplumb::rtnl
