#include <linux/netfilter.h>

#include "core/errors.h"
#include "core/nft/objects.h"

namespace netplumb::nft {

namespace {

const EnumName kInetHooks[] = {
    {NF_INET_PRE_ROUTING, "prerouting"}, {NF_INET_LOCAL_IN, "input"},
    {NF_INET_FORWARD, "forward"},        {NF_INET_LOCAL_OUT, "output"},
    {NF_INET_POST_ROUTING, "postrouting"}, {NF_INET_INGRESS, "ingress"},
};
const EnumName kNetdevHooks[] = {{NF_NETDEV_INGRESS, "ingress"}, {NF_NETDEV_EGRESS, "egress"}};
const EnumName kPolicies[] = {{NF_DROP, "drop"}, {NF_ACCEPT, "accept"}};

bool is_netdev(uint8_t family) { return family == NFPROTO_NETDEV; }

}  // namespace

std::string describe_chain(const Value& c) {
  std::string fam = c["family"].is_string() ? c.str("family") : "?";
  return "chain " + fam + " " + c.str_or("table", "?") + " " + c.str_or("name", "?");
}

nl::Message chain_message(uint16_t nft_msg, uint16_t flags, const Value& c) {
  uint8_t family = family_of(c["family"]);
  nl::Message m = message(nft_msg, flags, family, describe_chain(c));
  m.put_str(NFTA_CHAIN_TABLE, c.str("table"));
  m.put_str(NFTA_CHAIN_NAME, c.str("name"));
  if (c.has("hook")) {
    if (!c.has("type")) throw InvalidArgument("type", "a base chain needs a type: filter, nat or route");
    size_t hook = m.begin_nest(NFTA_CHAIN_HOOK);
    uint32_t num = is_netdev(family) ? enum_value(c["hook"], kNetdevHooks, "hook")
                                     : enum_value(c["hook"], kInetHooks, "hook");
    m.put_be32(NFTA_HOOK_HOOKNUM, num);
    m.put_be32(NFTA_HOOK_PRIORITY, static_cast<uint32_t>(static_cast<int32_t>(c.int_or("priority", 0))));
    if (c.has("device")) m.put_str(NFTA_HOOK_DEV, c.str("device"));
    m.end_nest(hook);
    m.put_str(NFTA_CHAIN_TYPE, c.str("type"));
    if (c.has("policy")) m.put_be32(NFTA_CHAIN_POLICY, enum_value(c["policy"], kPolicies, "policy"));
  } else if (c.has("type") || c.has("policy") || c.has("priority")) {
    throw InvalidArgument("hook", "type, priority and policy belong to base chains: give a hook too");
  }
  if (c.has("comment")) m.put_bytes(NFTA_CHAIN_USERDATA, comment_udata(kChainComment, c.str("comment")));
  return m;
}

Value decode_chain(const nlmsghdr* h) {
  Value v{Object{}};
  uint8_t family = family_of_message(h);
  v.set("family", family_name(family));
  nl::Attrs a = attrs_of_message(h);
  if (auto x = a.get(NFTA_CHAIN_TABLE)) v.set("table", x->str());
  if (auto x = a.get(NFTA_CHAIN_NAME)) v.set("name", x->str());
  if (auto x = a.get(NFTA_CHAIN_HANDLE)) v.set("handle", static_cast<int64_t>(x->be64()));
  if (auto x = a.get(NFTA_CHAIN_TYPE)) v.set("type", x->str());
  if (auto x = a.get(NFTA_CHAIN_HOOK)) {
    nl::Attrs hook = x->nested();
    if (auto n = hook.get(NFTA_HOOK_HOOKNUM))
      v.set("hook", is_netdev(family) ? enum_name(n->be32(), kNetdevHooks) : enum_name(n->be32(), kInetHooks));
    if (auto p = hook.get(NFTA_HOOK_PRIORITY)) v.set("priority", static_cast<int64_t>(static_cast<int32_t>(p->be32())));
    if (auto d = hook.get(NFTA_HOOK_DEV)) v.set("device", d->str());
  }
  if (auto x = a.get(NFTA_CHAIN_POLICY)) v.set("policy", enum_name(x->be32(), kPolicies));
  if (auto x = a.get(NFTA_CHAIN_USE)) v.set("use", static_cast<int64_t>(x->be32()));
  if (auto x = a.get(NFTA_CHAIN_USERDATA)) {
    std::string c = comment_of_udata(*x, kChainComment);
    if (!c.empty()) v.set("comment", c);
  }
  return v;
}

}  // namespace netplumb::nft
