#include "core/rtnl/link_read.h"

#include <linux/rtnetlink.h>

#include "core/errors.h"
#include "core/rtnl/link_build.h"
#include "core/rtnl/link_parse.h"

namespace netplumb::rtnl {

namespace {
constexpr int kDumpAttempts = 3;
}

Value get_link(nl::Socket& sock, int index, const std::string& name) {
  nl::Message m = get_request(index, name);
  Value out;
  sock.request(m, [&](size_t, const nlmsghdr* h) {
    if (h->nlmsg_type == RTM_NEWLINK) out = parse_link(h);
  });
  if (out.is_null()) throw NetlinkError(ENODEV, "RTM_GETLINK", m.object(), "the kernel returned no link");
  return out;
}

Array list_links(nl::Socket& sock) {
  // The socket's own retry would hand us messages of the interrupted pass
  // too; retrying here lets each pass start from an empty list.
  for (int attempt = 1;; attempt++) {
    nl::Message m(RTM_GETLINK, 0, "RTM_GETLINK", "all links");
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    m.put_header(ifi);
    Array out;
    try {
      sock.dump(m, [&](const nlmsghdr* h) {
        if (h->nlmsg_type == RTM_NEWLINK) out.push_back(parse_link(h));
      });
      return out;
    } catch (const DumpInterrupted&) {
      if (attempt >= kDumpAttempts) throw;
    }
  }
}

}  // namespace netplumb::rtnl
