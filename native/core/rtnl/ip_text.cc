#include "core/rtnl/ip_text.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cctype>

#include "core/errors.h"

namespace netplumb::rtnl {

IpBytes parse_ip(const std::string& text, const char* field) {
  IpBytes out;
  uint8_t buf[16];
  if (text.find('\0') == std::string::npos) {
    if (inet_pton(AF_INET, text.c_str(), buf) == 1) {
      out.family = AF_INET;
      out.bytes.assign(buf, buf + 4);
      return out;
    }
    if (inet_pton(AF_INET6, text.c_str(), buf) == 1) {
      out.family = AF_INET6;
      out.bytes.assign(buf, buf + 16);
      return out;
    }
  }
  throw InvalidArgument(field, std::string(field) + " '" + text + "' is not an IPv4 or IPv6 address");
}

Prefix parse_prefix(const std::string& text, const char* field, bool allow_bare) {
  Prefix p;
  size_t slash = text.find('/');
  p.ip = parse_ip(text.substr(0, slash), field);
  int max = p.ip.family == AF_INET ? 32 : 128;
  if (slash == std::string::npos) {
    if (!allow_bare)
      throw InvalidArgument(field, std::string(field) + " '" + text + "' needs a prefix length, like " + text + "/" +
                                       std::to_string(max));
    p.length = max;
    return p;
  }
  std::string len = text.substr(slash + 1);
  bool digits = !len.empty() && len.size() <= 3;
  for (char c : len) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (!digits || std::stoi(len) > max)
    throw InvalidArgument(field, std::string(field) + " '" + text + "' has a prefix length outside 0-" +
                                     std::to_string(max));
  p.length = std::stoi(len);
  return p;
}

std::string format_ip(int family, const uint8_t* data, size_t len) {
  char buf[INET6_ADDRSTRLEN];
  if (family == AF_INET && len == 4) return inet_ntop(AF_INET, data, buf, sizeof buf);
  if (family == AF_INET6 && len == 16) return inet_ntop(AF_INET6, data, buf, sizeof buf);
  return {};
}

int64_t family_number(int af) { return af == AF_INET ? 4 : af == AF_INET6 ? 6 : af; }

int af_of_family_number(int64_t n, const char* field) {
  if (n == 4) return AF_INET;
  if (n == 6) return AF_INET6;
  throw InvalidArgument(field, std::string(field) + " must be 4 or 6");
}

}  // namespace netplumb::rtnl
