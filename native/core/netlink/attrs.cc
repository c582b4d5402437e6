#include "core/netlink/attrs.h"

#include <endian.h>

#include <cstdio>
#include <cstring>

#include "core/errors.h"

namespace netplumb::nl {

namespace {
[[noreturn]] void short_attr(uint16_t type, size_t need, size_t have) {
  throw NetlinkError(EBADMSG, "parse", "attribute " + std::to_string(type),
                     "attribute holds " + std::to_string(have) + " bytes, expected " +
                         std::to_string(need));
}
template <typename T>
T read(const Attr& a) {
  if (a.len < sizeof(T)) short_attr(a.type, sizeof(T), a.len);
  T v;
  std::memcpy(&v, a.data, sizeof(T));
  return v;
}
}  // namespace

uint8_t Attr::u8() const { return read<uint8_t>(*this); }
uint16_t Attr::u16() const { return read<uint16_t>(*this); }
uint32_t Attr::u32() const { return read<uint32_t>(*this); }
uint64_t Attr::u64() const { return read<uint64_t>(*this); }
uint16_t Attr::be16() const { return be16toh(read<uint16_t>(*this)); }
uint32_t Attr::be32() const { return be32toh(read<uint32_t>(*this)); }
uint64_t Attr::be64() const { return be64toh(read<uint64_t>(*this)); }
std::string Attr::str() const {
  size_t n = strnlen(reinterpret_cast<const char*>(data), len);
  return std::string(reinterpret_cast<const char*>(data), n);
}
Attrs Attr::nested() const { return Attrs(data, len); }

Attrs Attrs::of_message(const nlmsghdr* h, size_t family_header_len) {
  size_t start = NLMSG_HDRLEN + NLMSG_ALIGN(family_header_len);
  if (h->nlmsg_len < start) return Attrs();
  return Attrs(reinterpret_cast<const uint8_t*>(h) + start, h->nlmsg_len - start);
}

void Attrs::iterator::normalize() {
  // A truncated or malformed attribute ends the iteration instead of reading past the end.
  if (p_ >= end_) {
    p_ = end_;
    return;
  }
  if (static_cast<size_t>(end_ - p_) < NLA_HDRLEN) {
    p_ = end_;
    return;
  }
  nlattr a;
  std::memcpy(&a, p_, sizeof a);
  if (a.nla_len < NLA_HDRLEN || a.nla_len > end_ - p_) p_ = end_;
}

Attr Attrs::iterator::operator*() const {
  nlattr a;
  std::memcpy(&a, p_, sizeof a);
  return Attr{static_cast<uint16_t>(a.nla_type & NLA_TYPE_MASK), p_ + NLA_HDRLEN,
              static_cast<size_t>(a.nla_len - NLA_HDRLEN)};
}

Attrs::iterator& Attrs::iterator::operator++() {
  nlattr a;
  std::memcpy(&a, p_, sizeof a);
  size_t step = NLA_ALIGN(a.nla_len);
  p_ = step >= static_cast<size_t>(end_ - p_) ? end_ : p_ + step;
  normalize();
  return *this;
}

std::optional<Attr> Attrs::get(uint16_t type) const {
  std::optional<Attr> found;
  for (Attr a : *this)
    if (a.type == type) found = a;
  return found;
}

std::string format_mac(const uint8_t* d, size_t len) {
  std::string s;
  char b[4];
  for (size_t i = 0; i < len; i++) {
    std::snprintf(b, sizeof b, i ? ":%02x" : "%02x", d[i]);
    s += b;
  }
  return s;
}

Bytes parse_mac(const std::string& s, const char* field) {
  Bytes out;
  unsigned v[6];
  char tail;
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
                  &v[5], &tail) != 6)
    throw InvalidArgument(field, std::string(field) + " must be a MAC address like 02:42:ac:11:00:02, got '" + s + "'");
  for (unsigned x : v) out.push_back(static_cast<uint8_t>(x));
  return out;
}

}  // namespace netplumb::nl
