#include "core/errors.h"
#include "core/nft/expr.h"
#include "core/nft/objects.h"

namespace netplumb::nft {

std::string describe_rule(const Value& r) {
  std::string fam = r["family"].is_string() ? r.str("family") : "?";
  std::string s = "rule " + fam + " " + r.str_or("table", "?") + " " + r.str_or("chain", "?");
  if (r.has("handle")) s += " handle " + std::to_string(r.integer("handle"));
  return s;
}

nl::Message rule_message(uint16_t nft_msg, uint16_t flags, const Value& r) {
  nl::Message m = message(nft_msg, flags, family_of(r["family"]), describe_rule(r));
  m.put_str(NFTA_RULE_TABLE, r.str("table"));
  if (r.has("chain")) m.put_str(NFTA_RULE_CHAIN, r.str("chain"));
  if (r.has("handle")) m.put_be64(NFTA_RULE_HANDLE, static_cast<uint64_t>(r.integer("handle")));
  if (r.has("position")) m.put_be64(NFTA_RULE_POSITION, static_cast<uint64_t>(r.integer("position")));
  if (r.has("exprs")) put_exprs(m, NFTA_RULE_EXPRESSIONS, r["exprs"]);
  if (r.has("comment")) m.put_bytes(NFTA_RULE_USERDATA, comment_udata(kRuleComment, r.str("comment")));
  return m;
}

Value decode_rule(const nlmsghdr* h) {
  Value v{Object{}};
  v.set("family", family_name(family_of_message(h)));
  nl::Attrs a = attrs_of_message(h);
  if (auto x = a.get(NFTA_RULE_TABLE)) v.set("table", x->str());
  if (auto x = a.get(NFTA_RULE_CHAIN)) v.set("chain", x->str());
  if (auto x = a.get(NFTA_RULE_HANDLE)) v.set("handle", static_cast<int64_t>(x->be64()));
  // NFTA_RULE_POSITION in dumps is the previous rule's handle: the order of
  // the dump says the same, so the model leaves it out.
  v.set("exprs", a.has(NFTA_RULE_EXPRESSIONS) ? get_exprs(*a.get(NFTA_RULE_EXPRESSIONS)) : Value(Array{}));
  if (auto x = a.get(NFTA_RULE_USERDATA)) {
    std::string c = comment_of_udata(*x, kRuleComment);
    if (!c.empty()) v.set("comment", c);
  }
  return v;
}

}  // namespace netplumb::nft
