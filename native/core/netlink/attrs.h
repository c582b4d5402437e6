// Reading netlink attributes: iterate a byte range, index attributes by type,
// read them with bounds-checked typed getters.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/value.h"

namespace netplumb::nl {

class Attrs;

struct Attr {
  uint16_t type = 0;  // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
  const uint8_t* data = nullptr;
  size_t len = 0;

  // Getters check the length and throw ParseError on a short attribute.
  uint8_t u8() const;
  uint16_t u16() const;
  uint32_t u32() const;
  uint64_t u64() const;
  int32_t s32() const { return static_cast<int32_t>(u32()); }
  uint16_t be16() const;
  uint32_t be32() const;
  uint64_t be64() const;
  std::string str() const;  // up to the first NUL
  Bytes bytes() const { return Bytes(data, data + len); }
  Attrs nested() const;
};

// Iterates attributes in [data, data+len); stops at the first malformed one.
class Attrs {
 public:
  Attrs() = default;
  Attrs(const uint8_t* data, size_t len) : data_(data), len_(len) {}
  // The attributes after a fixed family header inside a netlink message.
  static Attrs of_message(const nlmsghdr* h, size_t family_header_len);

  class iterator {
   public:
    iterator(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) { normalize(); }
    Attr operator*() const;
    iterator& operator++();
    bool operator!=(const iterator& o) const { return p_ != o.p_; }

   private:
    void normalize();
    const uint8_t* p_;
    const uint8_t* end_;
  };
  iterator begin() const { return iterator(data_, data_ + len_); }
  iterator end() const { return iterator(data_ + len_, data_ + len_); }

  // The last attribute of this type, if present.
  std::optional<Attr> get(uint16_t type) const;
  bool has(uint16_t type) const { return get(type).has_value(); }

 private:
  const uint8_t* data_ = nullptr;
  size_t len_ = 0;
};

// Formats a MAC address as aa:bb:cc:dd:ee:ff; parses the same back.
std::string format_mac(const uint8_t* data, size_t len);
Bytes parse_mac(const std::string& s, const char* field);

}  // namespace netplumb::nl
