#include "core/exec/parsers.h"

#include <map>
#include <utility>

namespace netplumb {

namespace {
std::map<std::pair<int, uint16_t>, ParseFn>& registry() {
  static std::map<std::pair<int, uint16_t>, ParseFn> r;
  return r;
}
}  // namespace

void Parsers::add(int protocol, uint16_t msg_type, ParseFn fn) { registry()[{protocol, msg_type}] = fn; }

Value Parsers::parse(int protocol, const nlmsghdr* h) {
  auto it = registry().find({protocol, h->nlmsg_type});
  if (it != registry().end()) return it->second(h);
  Value v;
  v.set("messageType", static_cast<int64_t>(h->nlmsg_type));
  return v;
}

}  // namespace netplumb
