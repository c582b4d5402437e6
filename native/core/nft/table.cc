#include <linux/netfilter/nfnetlink.h>

#include "core/errors.h"
#include "core/exec/parsers.h"
#include "core/nft/objects.h"

namespace netplumb::nft {

namespace {

// owner: the table belongs to the socket that made it (kernel 5.12+);
// persist: it outlives that socket and can be taken over (6.9+).
const EnumName kFlags[] = {
    {NFT_TABLE_F_DORMANT, "dormant"}, {NFT_TABLE_F_OWNER, "owner"}, {NFT_TABLE_F_PERSIST, "persist"}};

}  // namespace

std::string describe_table(const Value& t) {
  std::string fam = t["family"].is_string() ? t.str("family") : "?";
  return "table " + fam + " " + t.str_or("name", "?");
}

nl::Message table_message(uint16_t nft_msg, uint16_t flags, const Value& t) {
  nl::Message m = message(nft_msg, flags, family_of(t["family"]), describe_table(t));
  m.put_str(NFTA_TABLE_NAME, t.str("name"));
  if (t.has("flags")) m.put_be32(NFTA_TABLE_FLAGS, flags_value(t["flags"], kFlags));
  if (t.has("comment")) m.put_bytes(NFTA_TABLE_USERDATA, comment_udata(kTableComment, t.str("comment")));
  return m;
}

Value decode_table(const nlmsghdr* h) {
  Value v{Object{}};
  v.set("family", family_name(family_of_message(h)));
  nl::Attrs a = attrs_of_message(h);
  if (auto x = a.get(NFTA_TABLE_NAME)) v.set("name", x->str());
  v.set("flags", flag_names(a.has(NFTA_TABLE_FLAGS) ? a.get(NFTA_TABLE_FLAGS)->be32() : 0, kFlags));
  if (auto x = a.get(NFTA_TABLE_HANDLE)) v.set("handle", static_cast<int64_t>(x->be64()));
  if (auto x = a.get(NFTA_TABLE_USE)) v.set("use", static_cast<int64_t>(x->be32()));
  if (auto x = a.get(NFTA_TABLE_OWNER)) v.set("owner", static_cast<int64_t>(x->be32()));
  if (auto x = a.get(NFTA_TABLE_USERDATA)) {
    std::string c = comment_of_udata(*x, kTableComment);
    if (!c.empty()) v.set("comment", c);
  }
  return v;
}

Value decode_gen(const nlmsghdr* h) {
  Value v{Object{}};
  nl::Attrs a = attrs_of_message(h);
  if (auto x = a.get(NFTA_GEN_ID)) v.set("id", static_cast<int64_t>(x->be32()));
  if (auto x = a.get(NFTA_GEN_PROC_PID)) v.set("pid", static_cast<int64_t>(x->be32()));
  if (auto x = a.get(NFTA_GEN_PROC_NAME)) v.set("process", x->str());
  return v;
}

}  // namespace netplumb::nft
