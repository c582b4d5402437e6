#include "core/nft/common.h"

#include <endian.h>

#include <cstring>

#include "core/errors.h"

namespace netplumb::nft {

namespace {

const EnumName kFamilies[] = {
    {NFPROTO_IPV4, "ip"},     {NFPROTO_IPV6, "ip6"},     {NFPROTO_INET, "inet"},
    {NFPROTO_BRIDGE, "bridge"}, {NFPROTO_NETDEV, "netdev"}, {NFPROTO_ARP, "arp"},
};

// NF_ACCEPT and NF_DROP are netfilter verdicts; the rest are nf_tables' own.
const EnumName kVerdicts[] = {
    {NF_DROP, "drop"},
    {NF_ACCEPT, "accept"},
    {static_cast<uint32_t>(NFT_CONTINUE), "continue"},
    {static_cast<uint32_t>(NFT_BREAK), "break"},
    {static_cast<uint32_t>(NFT_JUMP), "jump"},
    {static_cast<uint32_t>(NFT_GOTO), "goto"},
    {static_cast<uint32_t>(NFT_RETURN), "return"},
};

const char* const kMsgNames[] = {
    "NEWTABLE", "GETTABLE", "DELTABLE", "NEWCHAIN", "GETCHAIN", "DELCHAIN", "NEWRULE",
    "GETRULE", "DELRULE", "NEWSET", "GETSET", "DELSET", "NEWSETELEM", "GETSETELEM",
    "DELSETELEM", "NEWGEN", "GETGEN", "TRACE", "NEWOBJ", "GETOBJ", "DELOBJ", "GETOBJ_RESET",
    "NEWFLOWTABLE", "GETFLOWTABLE", "DELFLOWTABLE", "GETRULE_RESET", "DESTROYTABLE",
    "DESTROYCHAIN", "DESTROYRULE", "DESTROYSET", "DESTROYSETELEM", "DESTROYOBJ",
    "DESTROYFLOWTABLE", "GETSETELEM_RESET",
};

}  // namespace

uint32_t enum_value_in(const Value& v, const EnumName* names, size_t n, const char* field) {
  if (v.is_int()) return static_cast<uint32_t>(v.as_int(field));
  const std::string& s = v.as_string(field);
  for (size_t i = 0; i < n; i++)
    if (s == names[i].name) return names[i].value;
  std::string allowed;
  for (size_t i = 0; i < n; i++) allowed += (i ? ", " : "") + std::string(names[i].name);
  throw InvalidArgument(field, std::string(field) + " '" + s + "' is not one of " + allowed);
}

Value enum_name_in(uint32_t v, const EnumName* names, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (names[i].value == v) return Value(names[i].name);
  return Value(static_cast<int64_t>(v));
}

uint8_t family_of(const Value& name, const char* field) {
  return static_cast<uint8_t>(enum_value(name, kFamilies, field));
}
Value family_name(uint8_t family) { return enum_name(family, kFamilies); }

std::string msg_name(uint16_t nft_msg) {
  if (nft_msg < sizeof kMsgNames / sizeof kMsgNames[0]) return std::string("NFT_MSG_") + kMsgNames[nft_msg];
  return "NFT_MSG_" + std::to_string(nft_msg);
}

nl::Message message(uint16_t nft_msg, uint16_t flags, uint8_t family, std::string object) {
  nl::Message m(msg_type(nft_msg), static_cast<uint16_t>(NLM_F_REQUEST | flags), msg_name(nft_msg),
                std::move(object));
  nfgenmsg g{};
  g.nfgen_family = family;
  g.version = NFNETLINK_V0;
  g.res_id = 0;
  m.put_header(g);
  return m;
}

uint8_t family_of_message(const nlmsghdr* h) {
  if (h->nlmsg_len < NLMSG_HDRLEN + sizeof(nfgenmsg)) return 0;
  return static_cast<const nfgenmsg*>(NLMSG_DATA(h))->nfgen_family;
}

nl::Attrs attrs_of_message(const nlmsghdr* h) { return nl::Attrs::of_message(h, sizeof(nfgenmsg)); }

void put_data(nl::Message& m, uint16_t attr, const Value& v, const char* field) {
  size_t outer = m.begin_nest(attr);
  if (v.is_bytes()) {
    if (v.as_bytes().empty() || v.as_bytes().size() > 64)
      throw InvalidArgument(field, std::string(field) + " must be 1-64 bytes");
    m.put_bytes(NFTA_DATA_VALUE, v.as_bytes());
  } else {
    size_t inner = m.begin_nest(NFTA_DATA_VERDICT);
    uint32_t code = enum_value(v["verdict"], kVerdicts, field);
    m.put_be32(NFTA_VERDICT_CODE, code);
    bool needs_chain = code == static_cast<uint32_t>(NFT_JUMP) || code == static_cast<uint32_t>(NFT_GOTO);
    if (needs_chain != v.has("chain"))
      throw InvalidArgument(field, std::string(field) + ": jump and goto name a chain; other verdicts do not");
    if (needs_chain) m.put_str(NFTA_VERDICT_CHAIN, v.str("chain"));
    m.end_nest(inner);
  }
  m.end_nest(outer);
}

Value verdict_value(const nl::Attrs& verdict) {
  Value out{Object{}};
  if (auto c = verdict.get(NFTA_VERDICT_CODE)) out.set("verdict", enum_name(c->be32(), kVerdicts));
  if (auto c = verdict.get(NFTA_VERDICT_CHAIN)) out.set("chain", c->str());
  return out;
}

Value get_data(const nl::Attr& a) {
  nl::Attrs inner = a.nested();
  if (auto v = inner.get(NFTA_DATA_VALUE)) return Value(v->bytes());
  if (auto v = inner.get(NFTA_DATA_VERDICT)) return verdict_value(v->nested());
  return Value();
}

Bytes comment_udata(uint8_t type, const std::string& comment) {
  if (comment.size() + 1 > 255) throw InvalidArgument("comment", "comments are limited to 254 bytes");
  Bytes b;
  b.push_back(type);
  b.push_back(static_cast<uint8_t>(comment.size() + 1));
  b.insert(b.end(), comment.begin(), comment.end());
  b.push_back(0);
  return b;
}

std::string comment_of_udata(const nl::Attr& a, uint8_t type) {
  size_t i = 0;
  while (i + 2 <= a.len) {
    uint8_t t = a.data[i], len = a.data[i + 1];
    if (i + 2 + len > a.len) break;
    if (t == type) {
      const char* s = reinterpret_cast<const char*>(a.data + i + 2);
      return std::string(s, strnlen(s, len));
    }
    i += 2 + len;
  }
  return {};
}

uint32_t flags_value_in(const Value& v, const EnumName* names, size_t n, const char* field) {
  uint32_t f = 0;
  for (const Value& name : v.as_array(field)) f |= enum_value_in(name, names, n, field);
  return f;
}

Value flag_names_in(uint32_t f, const EnumName* names, size_t n) {
  Array out;
  for (size_t i = 0; i < n; i++)
    if (f & names[i].value) out.push_back(Value(names[i].name)), f &= ~names[i].value;
  if (f) out.push_back(Value(static_cast<int64_t>(f)));
  return Value(std::move(out));
}

}  // namespace netplumb::nft
