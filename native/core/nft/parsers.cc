// nf_tables messages as dump entries and as events: each decoder is
// registered for its NEW and DEL message; the event names the object kind and
// what happened, so a watcher can tell "rule deleted" from "rule added".
#include "core/exec/parsers.h"

#include <linux/netlink.h>

#include "core/nft/objects.h"

namespace netplumb::nft {

namespace {

template <Value (*decode)(const nlmsghdr*), const char* kind>
Value as_event(const nlmsghdr* h) {
  Value v = decode(h);
  v.set("kind", kind);
  uint16_t msg = h->nlmsg_type & 0xff;
  bool del = msg == NFT_MSG_DELTABLE || msg == NFT_MSG_DELCHAIN || msg == NFT_MSG_DELRULE ||
             msg == NFT_MSG_DELSET || msg == NFT_MSG_DELSETELEM;
  v.set("event", del ? "del" : "new");
  return v;
}

constexpr char kTable[] = "table";
constexpr char kChain[] = "chain";
constexpr char kRule[] = "rule";
constexpr char kSet[] = "set";
constexpr char kElement[] = "element";
constexpr char kGen[] = "gen";

NETPLUMB_PARSER(NETLINK_NETFILTER, msg_type(NFT_MSG_NEWTABLE), (as_event<decode_table, kTable>));
NETPLUMB_PARSER(NETLINK_NETFILTER, msg_type(NFT_MSG_DELTABLE), (as_event<decode_table, kTable>));
NETPLUMB_PARSER(NETLINK_NETFILTER, msg_type(NFT_MSG_NEWCHAIN), (as_event<decode_chain, kChain>));
NETPLUMB_PARSER(NETLINK_NETFILTER, msg_type(NFT_MSG_DELCHAIN), (as_event<decode_chain, kChain>));
NETPLUMB_PARSER(NETLINK_NETFILTER, msg_type(NFT_MSG_NEWRULE), (as_event<decode_rule, kRule>));
NETPLUMB_PARSER(NETLINK_NETFILTER, msg_type(NFT_MSG_DELRULE), (as_event<decode_rule, kRule>));
NETPLUMB_PARSER(NETLINK_NETFILTER, msg_type(NFT_MSG_NEWSET), (as_event<decode_set, kSet>));
NETPLUMB_PARSER(NETLINK_NETFILTER, msg_type(NFT_MSG_DELSET), (as_event<decode_set, kSet>));
NETPLUMB_PARSER(NETLINK_NETFILTER, msg_type(NFT_MSG_NEWSETELEM), (as_event<decode_elements, kElement>));
NETPLUMB_PARSER(NETLINK_NETFILTER, msg_type(NFT_MSG_DELSETELEM), (as_event<decode_elements, kElement>));
NETPLUMB_PARSER(NETLINK_NETFILTER, msg_type(NFT_MSG_NEWGEN), (as_event<decode_gen, kGen>));

}  // namespace
}  // namespace netplumb::nft
