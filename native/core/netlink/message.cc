#include "core/netlink/message.h"

#include <endian.h>

namespace netplumb::nl {

Message::Message(uint16_t type, uint16_t flags, std::string op, std::string object)
    : buf_(NLMSG_HDRLEN, 0), op_(std::move(op)), object_(std::move(object)) {
  buf_.reserve(256);
  header()->nlmsg_type = type;
  header()->nlmsg_flags = NLM_F_REQUEST | flags;
  sync_len();
}

size_t Message::append_aligned(const void* data, size_t len) {
  size_t off = buf_.size();
  buf_.resize(off + NLMSG_ALIGN(len), 0);
  if (len) std::memcpy(buf_.data() + off, data, len);
  sync_len();
  return off;
}

void Message::put(uint16_t type, const void* data, size_t len) {
  nlattr a{};
  a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + len);
  a.nla_type = type;
  size_t off = buf_.size();
  buf_.resize(off + NLA_HDRLEN + NLA_ALIGN(len), 0);
  std::memcpy(buf_.data() + off, &a, sizeof a);
  if (len) std::memcpy(buf_.data() + off + NLA_HDRLEN, data, len);
  sync_len();
}

void Message::put_be16(uint16_t type, uint16_t v) {
  uint16_t b = htobe16(v);
  put(type, &b, 2);
}
void Message::put_be32(uint16_t type, uint32_t v) {
  uint32_t b = htobe32(v);
  put(type, &b, 4);
}
void Message::put_be64(uint16_t type, uint64_t v) {
  uint64_t b = htobe64(v);
  put(type, &b, 8);
}
void Message::put_str(uint16_t type, const std::string& s) { put(type, s.c_str(), s.size() + 1); }

size_t Message::begin_nest(uint16_t type) { return begin_container(type | NLA_F_NESTED); }

size_t Message::begin_container(uint16_t type) {
  size_t off = buf_.size();
  put(type, nullptr, 0);
  return off;
}

void Message::end_nest(size_t token) {
  auto* a = reinterpret_cast<nlattr*>(buf_.data() + token);
  a->nla_len = static_cast<uint16_t>(buf_.size() - token);
}

}  // namespace netplumb::nl
