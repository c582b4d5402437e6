#include <cstring>
#include <optional>

#include "core/errors.h"
#include "core/nft/objects.h"

namespace netplumb::nft {

namespace {

const EnumName kFlags[] = {
    {NFT_SET_ANONYMOUS, "anonymous"}, {NFT_SET_CONSTANT, "constant"}, {NFT_SET_INTERVAL, "interval"},
    {NFT_SET_MAP, "map"},             {NFT_SET_TIMEOUT, "timeout"},   {NFT_SET_EVAL, "dynamic"},
    {NFT_SET_OBJECT, "object"},       {NFT_SET_CONCAT, "concat"},     {NFT_SET_EXPR, "expr"},
};

// nft's set userdata (NFTNL_UDATA_SET_*): the byte order of keys and data,
// without which nft prints host-order values (interface names, marks) reversed.
constexpr uint8_t kKeyByteorder = 0;
constexpr uint8_t kDataByteorder = 1;
const EnumName kByteorders[] = {{1, "host"}, {2, "big"}};

void put_u32_tlv(Bytes& b, uint8_t type, uint32_t v) {
  b.push_back(type);
  b.push_back(4);
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  b.insert(b.end(), p, p + 4);
}

std::optional<uint32_t> u32_tlv(const nl::Attr& a, uint8_t type) {
  size_t i = 0;
  while (i + 2 <= a.len) {
    uint8_t t = a.data[i], len = a.data[i + 1];
    if (i + 2 + len > a.len) break;
    if (t == type && len == 4) {
      uint32_t v;
      std::memcpy(&v, a.data + i + 2, 4);
      return v;
    }
    i += 2 + len;
  }
  return std::nullopt;
}

}  // namespace

std::string describe_set(const Value& s) {
  std::string fam = s["family"].is_string() ? s.str("family") : "?";
  return "set " + fam + " " + s.str_or("table", "?") + " " + s.str_or("name", "?");
}

nl::Message set_message(uint16_t nft_msg, uint16_t flags, const Value& s) {
  nl::Message m = message(nft_msg, flags, family_of(s["family"]), describe_set(s));
  m.put_str(NFTA_SET_TABLE, s.str("table"));
  m.put_str(NFTA_SET_NAME, s.str("name"));
  if (nft_msg != NFT_MSG_NEWSET) return m;
  uint32_t f = s.has("flags") ? flags_value(s["flags"], kFlags) : 0;
  if (s.has("dataType")) f |= NFT_SET_MAP;
  if (s.has("fields")) f |= NFT_SET_CONCAT;
  m.put_be32(NFTA_SET_FLAGS, f);
  m.put_be32(NFTA_SET_KEY_TYPE, static_cast<uint32_t>(s.integer("keyType")));
  m.put_be32(NFTA_SET_KEY_LEN, static_cast<uint32_t>(s.integer("keyLen")));
  if (s.has("dataType")) {
    m.put_be32(NFTA_SET_DATA_TYPE, static_cast<uint32_t>(s.integer("dataType")));
    if (s.has("dataLen")) m.put_be32(NFTA_SET_DATA_LEN, static_cast<uint32_t>(s.integer("dataLen")));
  }
  if (s.has("timeout")) m.put_be64(NFTA_SET_TIMEOUT, static_cast<uint64_t>(s.integer("timeout")));
  if (s.has("size") || s.has("fields")) {
    size_t desc = m.begin_nest(NFTA_SET_DESC);
    if (s.has("size")) m.put_be32(NFTA_SET_DESC_SIZE, static_cast<uint32_t>(s.integer("size")));
    if (s.has("fields")) {
      // Field lengths in bytes, unpadded (ipv4_addr 4, inet_proto 1, inet_service 2).
      size_t concat = m.begin_nest(NFTA_SET_DESC_CONCAT);
      for (const Value& len : s["fields"].as_array("fields")) {
        size_t elem = m.begin_nest(NFTA_LIST_ELEM);
        m.put_be32(NFTA_SET_FIELD_LEN, static_cast<uint32_t>(len.as_int("fields[]")));
        m.end_nest(elem);
      }
      m.end_nest(concat);
    }
    m.end_nest(desc);
  }
  m.put_be32(NFTA_SET_ID, static_cast<uint32_t>(s.int_or("id", 1)));
  Bytes udata;
  if (s.has("keyByteorder")) put_u32_tlv(udata, kKeyByteorder, enum_value(s["keyByteorder"], kByteorders, "keyByteorder"));
  if (s.has("dataByteorder")) put_u32_tlv(udata, kDataByteorder, enum_value(s["dataByteorder"], kByteorders, "dataByteorder"));
  if (s.has("comment")) {
    Bytes c = comment_udata(kSetComment, s.str("comment"));
    udata.insert(udata.end(), c.begin(), c.end());
  }
  if (!udata.empty()) m.put_bytes(NFTA_SET_USERDATA, udata);
  return m;
}

Value decode_set(const nlmsghdr* h) {
  Value v{Object{}};
  v.set("family", family_name(family_of_message(h)));
  nl::Attrs a = attrs_of_message(h);
  if (auto x = a.get(NFTA_SET_TABLE)) v.set("table", x->str());
  if (auto x = a.get(NFTA_SET_NAME)) v.set("name", x->str());
  if (auto x = a.get(NFTA_SET_HANDLE)) v.set("handle", static_cast<int64_t>(x->be64()));
  v.set("flags", flag_names(a.has(NFTA_SET_FLAGS) ? a.get(NFTA_SET_FLAGS)->be32() : 0, kFlags));
  if (auto x = a.get(NFTA_SET_KEY_TYPE)) v.set("keyType", static_cast<int64_t>(x->be32()));
  if (auto x = a.get(NFTA_SET_KEY_LEN)) v.set("keyLen", static_cast<int64_t>(x->be32()));
  if (auto x = a.get(NFTA_SET_DATA_TYPE)) v.set("dataType", static_cast<int64_t>(x->be32()));
  if (auto x = a.get(NFTA_SET_DATA_LEN)) v.set("dataLen", static_cast<int64_t>(x->be32()));
  if (auto x = a.get(NFTA_SET_TIMEOUT)) v.set("timeout", static_cast<int64_t>(x->be64()));
  if (auto x = a.get(NFTA_SET_DESC)) {
    nl::Attrs desc = x->nested();
    if (auto sz = desc.get(NFTA_SET_DESC_SIZE)) v.set("size", static_cast<int64_t>(sz->be32()));
    if (auto c = desc.get(NFTA_SET_DESC_CONCAT)) {
      Array fields;
      for (nl::Attr elem : c->nested())
        if (auto len = elem.nested().get(NFTA_SET_FIELD_LEN)) fields.push_back(Value(static_cast<int64_t>(len->be32())));
      v.set("fields", Value(std::move(fields)));
    }
  }
  if (auto x = a.get(NFTA_SET_USERDATA)) {
    std::string c = comment_of_udata(*x, kSetComment);
    if (!c.empty()) v.set("comment", c);
    if (auto o = u32_tlv(*x, kKeyByteorder)) v.set("keyByteorder", enum_name(*o, kByteorders));
    if (auto o = u32_tlv(*x, kDataByteorder)) v.set("dataByteorder", enum_name(*o, kByteorders));
  }
  return v;
}

}  // namespace netplumb::nft
