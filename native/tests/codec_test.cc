// Unit tests of the netlink codec: byte layout of built messages, bounds of
// the attribute reader, and the socket's error path against the kernel
// itself (requests any process may send in its own namespace).
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <cstring>

#include "check.h"
#include "core/errors.h"
#include "core/netlink/attrs.h"
#include "core/netlink/message.h"
#include "core/netlink/socket.h"
#include "core/value.h"

using namespace netplumb;

TEST("a message starts with a header whose length tracks every append") {
  nl::Message m(RTM_NEWLINK, NLM_F_CREATE, "RTM_NEWLINK", "x");
  CHECK_EQ(m.size(), size_t{NLMSG_HDRLEN});
  ifinfomsg ifi{};
  m.put_header(ifi);
  CHECK_EQ(m.size(), size_t{NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifinfomsg))});
  m.put_str(IFLA_IFNAME, "abc");  // 4 bytes + 4 header, already aligned
  m.put_u8(IFLA_OPERSTATE, 6);    // 1 byte + 4 header, padded to 8
  CHECK_EQ(m.size(), size_t{NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifinfomsg)) + 8 + 8});
  CHECK_EQ(m.header()->nlmsg_len, m.size());
  CHECK_EQ(m.header()->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE);
}

TEST("nests carry the nested flag and their full length") {
  nl::Message m(RTM_NEWLINK, 0, "RTM_NEWLINK");
  ifinfomsg ifi{};
  m.put_header(ifi);
  size_t start = m.size();
  size_t nest = m.begin_nest(IFLA_LINKINFO);
  m.put_str(IFLA_INFO_KIND, "veth");
  size_t inner = m.begin_nest(IFLA_INFO_DATA);
  m.put_u32(1, 7);
  m.end_nest(inner);
  m.end_nest(nest);
  const auto* a = reinterpret_cast<const nlattr*>(m.data() + start);
  CHECK(a->nla_type & NLA_F_NESTED);
  CHECK_EQ(static_cast<size_t>(a->nla_len), m.size() - start);
  nl::Attrs outer(m.data() + start, m.size() - start);
  auto info = outer.get(IFLA_LINKINFO);
  CHECK(info.has_value());
  auto kind = info->nested().get(IFLA_INFO_KIND);
  CHECK(kind && kind->str() == "veth");
  auto data = info->nested().get(IFLA_INFO_DATA);
  CHECK(data && data->nested().get(1)->u32() == 7u);
}

TEST("big-endian helpers write network order and read it back") {
  nl::Message m(0, 0, "test");
  size_t start = m.size();
  m.put_be16(1, 0x1234);
  m.put_be32(2, 0x0a000001);
  const uint8_t* p = m.data() + start + NLA_HDRLEN;
  CHECK(p[0] == 0x12 && p[1] == 0x34);
  nl::Attrs attrs(m.data() + start, m.size() - start);
  CHECK_EQ(attrs.get(1)->be16(), 0x1234);
  CHECK_EQ(attrs.get(2)->be32(), 0x0a000001u);
}

TEST("the reader stops at a truncated or oversized attribute instead of reading past the end") {
  uint8_t buf[12] = {};
  nlattr a{};
  a.nla_len = 8;
  a.nla_type = 3;
  std::memcpy(buf, &a, sizeof a);
  a.nla_len = 40;  // claims more than the buffer holds
  a.nla_type = 4;
  std::memcpy(buf + 8, &a, sizeof a);
  int seen = 0;
  for (nl::Attr x : nl::Attrs(buf, sizeof buf)) {
    seen++;
    CHECK_EQ(x.type, 3);
  }
  CHECK_EQ(seen, 1);
  CHECK(!nl::Attrs(buf, 3).get(3).has_value());  // shorter than a header
}

TEST("typed getters refuse an attribute shorter than the type") {
  uint8_t buf[8] = {};
  nlattr a{};
  a.nla_len = 6;  // 2 bytes of payload
  a.nla_type = 1;
  std::memcpy(buf, &a, sizeof a);
  auto attr = nl::Attrs(buf, sizeof buf).get(1);
  CHECK(attr.has_value());
  CHECK_EQ(attr->u16(), 0);
  CHECK_THROWS(NetlinkError, attr->u32());
}

TEST("MAC addresses parse and format; bad ones are refused") {
  Bytes mac = nl::parse_mac("02:42:AC:11:00:02", "address");
  CHECK_EQ(nl::format_mac(mac.data(), mac.size()), std::string("02:42:ac:11:00:02"));
  CHECK_THROWS(InvalidArgument, nl::parse_mac("02:42:ac:11:00", "address"));
  CHECK_THROWS(InvalidArgument, nl::parse_mac("02:42:ac:11:00:02:00", "address"));
}

TEST("values report type errors naming the field") {
  Value v;
  v.set("mtu", "big");
  try {
    v.integer("mtu");
    CHECK(false);
  } catch (const InvalidArgument& e) {
    CHECK_EQ(e.field, std::string("mtu"));
  }
  CHECK_THROWS(InvalidArgument, v.str("missing"));
  CHECK_EQ(v.int_or("absent", 5), 5);
}

TEST("a dump of links from the kernel decodes every message") {
  nl::Socket s(NETLINK_ROUTE);
  nl::Message m(RTM_GETLINK, 0, "RTM_GETLINK");
  ifinfomsg ifi{};
  m.put_header(ifi);
  int links = 0;
  bool saw_lo = false;
  s.dump(m, [&](const nlmsghdr* h) {
    CHECK_EQ(h->nlmsg_type, RTM_NEWLINK);
    links++;
    auto name = nl::Attrs::of_message(h, sizeof(ifinfomsg)).get(IFLA_IFNAME);
    if (name && name->str() == "lo") saw_lo = true;
  });
  CHECK(links >= 1);
  CHECK(saw_lo);
}

TEST("a refused request surfaces errno, the operation, the object and the kernel's extended ACK") {
  nl::Socket s(NETLINK_ROUTE);
  // Asking for an interface index that cannot exist: the kernel answers ENODEV.
  nl::Message m(RTM_GETLINK, 0, "RTM_GETLINK", "ifindex 2147483000");
  ifinfomsg ifi{};
  ifi.ifi_index = 2147483000;
  m.put_header(ifi);
  try {
    s.request(m);
    CHECK(false);
  } catch (const NetlinkError& e) {
    CHECK_EQ(e.err, ENODEV);
    CHECK_EQ(e.op, std::string("RTM_GETLINK"));
    CHECK_EQ(e.object, std::string("ifindex 2147483000"));
    CHECK(std::string(e.what()).find("ENODEV") != std::string::npos);
  }
  // An attribute of the wrong size: strict validation names it in the extended ACK.
  nl::Message bad(RTM_GETLINK, 0, "RTM_GETLINK", "lo");
  ifinfomsg lo{};
  lo.ifi_index = 1;
  bad.put_header(lo);
  bad.put_u8(IFLA_EXT_MASK, 1);  // IFLA_EXT_MASK is a u32
  try {
    s.request(bad);
    CHECK(false);
  } catch (const NetlinkError& e) {
    CHECK_EQ(e.err, ERANGE);
    CHECK(e.extack.find("policy") != std::string::npos);
    // The offset points at the attribute: right after the two headers.
    CHECK_EQ(e.extack_offset, static_cast<int64_t>(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifinfomsg))));
  }
}

TEST("several requests in one sendmsg are each answered, and the first failure is reported after all") {
  nl::Socket s(NETLINK_ROUTE);
  std::vector<nl::Message> msgs;
  for (int index : {1, 2147483001, 1}) {
    nl::Message m(RTM_GETLINK, 0, "RTM_GETLINK", "ifindex " + std::to_string(index));
    ifinfomsg ifi{};
    ifi.ifi_index = index;
    m.put_header(ifi);
    msgs.push_back(std::move(m));
  }
  std::vector<size_t> answered;
  try {
    s.transact(msgs, [&](size_t i, const nlmsghdr*) { answered.push_back(i); });
    CHECK(false);
  } catch (const NetlinkError& e) {
    CHECK_EQ(e.object, std::string("ifindex 2147483001"));
  }
  CHECK_EQ(answered.size(), size_t{2});
  // The socket is still in step: the next request gets its own answer.
  nl::Message again(RTM_GETLINK, 0, "RTM_GETLINK", "lo");
  ifinfomsg lo{};
  lo.ifi_index = 1;
  again.put_header(lo);
  int replies = 0;
  s.request(again, [&](size_t, const nlmsghdr*) { replies++; });
  CHECK_EQ(replies, 1);
}

int main() { return check::run_all(); }
