#include "core/rtnl/ifindex.h"

#include <linux/if.h>
#include <linux/rtnetlink.h>

#include <cctype>
#include <cerrno>

#include "core/errors.h"

namespace netplumb::rtnl {

const std::string& check_ifname(const std::string& name, const char* field) {
  bool ok = !name.empty() && name.size() < IFNAMSIZ && name != "." && name != "..";
  for (char c : name)
    if (c == '/' || c == ':' || c == '\0' || std::isspace(static_cast<unsigned char>(c))) ok = false;
  if (!ok)
    throw InvalidArgument(field, std::string(field) + " '" + name +
                                     "' is not a valid interface name (1-15 bytes, no '/', ':', whitespace or NUL)");
  return name;
}

int lookup_ifindex(nl::Socket& sock, const std::string& name) {
  nl::Message m(RTM_GETLINK, 0, "RTM_GETLINK", name);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  m.put_header(ifi);
  m.put_str(IFLA_IFNAME, name);
  m.put_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  int index = 0;
  try {
    sock.request(m, [&](size_t, const nlmsghdr* h) {
      if (h->nlmsg_type == RTM_NEWLINK)
        index = static_cast<const ifinfomsg*>(NLMSG_DATA(h))->ifi_index;
    });
  } catch (const NetlinkError& e) {
    if (e.err == ENODEV) return 0;
    throw;
  }
  return index;
}

int ifindex_of(nl::Socket& sock, const Value& args, const char* name_key, const char* index_key) {
  if (args.has(index_key)) {
    int64_t i = args.integer(index_key);
    if (i <= 0 || i > 0x7fffffff) throw InvalidArgument(index_key, std::string(index_key) + " must be a positive ifindex");
    return static_cast<int>(i);
  }
  if (!args.has(name_key))
    throw InvalidArgument(name_key, std::string("an interface is required: give ") + name_key + " (name) or " +
                                        index_key + " (ifindex)");
  const std::string& name = check_ifname(args.str(name_key), name_key);
  int index = lookup_ifindex(sock, name);
  if (!index) throw NetlinkError(ENODEV, "RTM_GETLINK", name, "no interface with this name in the namespace");
  return index;
}

}  // namespace netplumb::rtnl
