// Building netlink messages: a header, a family header, then attributes that
// may nest. Alignment follows NLMSG_ALIGN / NLA_ALIGN from linux/netlink.h.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/value.h"

namespace netplumb::nl {

class Message {
 public:
  Message(uint16_t type, uint16_t flags, std::string op, std::string object = {});

  // Appends a fixed family header (ifinfomsg, rtmsg, nfgenmsg, ...).
  template <typename T>
  T& put_header(const T& h) {
    size_t off = append_aligned(&h, sizeof(T));
    return *reinterpret_cast<T*>(buf_.data() + off);
  }

  void put(uint16_t type, const void* data, size_t len);
  void put_flag(uint16_t type) { put(type, nullptr, 0); }
  void put_u8(uint16_t type, uint8_t v) { put(type, &v, 1); }
  void put_u16(uint16_t type, uint16_t v) { put(type, &v, 2); }
  void put_u32(uint16_t type, uint32_t v) { put(type, &v, 4); }
  void put_u64(uint16_t type, uint64_t v) { put(type, &v, 8); }
  void put_s32(uint16_t type, int32_t v) { put(type, &v, 4); }
  void put_be16(uint16_t type, uint16_t v);
  void put_be32(uint16_t type, uint32_t v);
  void put_be64(uint16_t type, uint64_t v);
  void put_str(uint16_t type, const std::string& s);  // with the trailing NUL
  // Without the NUL: for attributes whose kernel limit counts the text alone
  // (IFLA_IFALIAS takes 255 bytes; with a NUL the 255th is refused).
  void put_text(uint16_t type, const std::string& s) { put(type, s.data(), s.size()); }
  void put_bytes(uint16_t type, const Bytes& b) { put(type, b.data(), b.size()); }

  // Nests are closed in reverse order of opening; end_nest fixes the length.
  size_t begin_nest(uint16_t type);
  // An attribute that holds a struct and/or attributes without the nested
  // flag, as tc's TCA_OPTIONS (netem's starts with a struct); closed by end_nest.
  size_t begin_container(uint16_t type);
  void end_nest(size_t token);

  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
  const nlmsghdr* header() const { return reinterpret_cast<const nlmsghdr*>(buf_.data()); }
  uint16_t type() const { return header()->nlmsg_type; }
  uint32_t seq() const { return header()->nlmsg_seq; }
  void set_seq(uint32_t seq) { header()->nlmsg_seq = seq; }
  void add_flags(uint16_t f) { header()->nlmsg_flags |= f; }
  const uint8_t* data() const { return buf_.data(); }
  size_t size() const { return buf_.size(); }

  // How a failure of this message is described to the user.
  const std::string& op() const { return op_; }
  const std::string& object() const { return object_; }
  void set_object(std::string o) { object_ = std::move(o); }


 private:
  size_t append_aligned(const void* data, size_t len);
  void sync_len() { header()->nlmsg_len = static_cast<uint32_t>(buf_.size()); }

  std::vector<uint8_t> buf_;
  std::string op_;
  std::string object_;
};

}  // namespace netplumb::nl
