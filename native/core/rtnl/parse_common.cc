#include "core/rtnl/parse_common.h"

#include <cerrno>
#include <string>

#include "core/errors.h"

namespace netplumb::rtnl {

Value begin_object(const nlmsghdr* h, size_t header_size, const char* header_name, const char* kind,
                   uint16_t del_type) {
  if (h->nlmsg_len < NLMSG_LENGTH(header_size))
    throw NetlinkError(EBADMSG, "parse", kind, std::string("message shorter than its ") + header_name);
  Value v{Object{}};
  v.set("kind", kind);
  v.set("action", h->nlmsg_type == del_type ? "del" : "new");
  return v;
}

}  // namespace netplumb::rtnl
