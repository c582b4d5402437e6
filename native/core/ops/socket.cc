// Sockets opened inside a namespace and handed to Node (net.Server,
// net.Socket, dgram) as file descriptors, so one process can serve and
// connect across namespaces without spawning anything.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/errors.h"
#include "core/exec/ops.h"

namespace netplumb {

namespace {

struct Endpoint {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
};

Endpoint endpoint(const std::string& address, int64_t port, int family_hint) {
  if (port < 0 || port > 65535) throw InvalidArgument("port", "port must be 0-65535");
  Endpoint e;
  std::string a = address.empty() ? (family_hint == AF_INET6 ? "::" : "0.0.0.0") : address;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&e.ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&e.ss);
  if (inet_pton(AF_INET, a.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    e.len = sizeof *v4;
    e.family = AF_INET;
  } else if (inet_pton(AF_INET6, a.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    e.len = sizeof *v6;
    e.family = AF_INET6;
  } else {
    throw InvalidArgument("address", "'" + a + "' is not an IPv4 or IPv6 address");
  }
  return e;
}

int bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

// {type: 'tcp'|'udp', family?: 4|6, address?, port?, bind?: boolean, reuseAddress?, ipv6Only?}
// → {fd, port}. Unbound sockets (bind: false) are for outgoing connections.
Value open_socket(OpContext& ctx, const Value& args) {
  std::string type = args.str_or("type", "tcp");
  if (type != "tcp" && type != "udp") throw InvalidArgument("type", "socket type must be 'tcp' or 'udp'");
  int64_t fam = args.int_or("family", 0);
  if (fam != 0 && fam != 4 && fam != 6) throw InvalidArgument("family", "family must be 4 or 6");
  bool bind_it = args.bool_or("bind", true);
  Endpoint e = endpoint(args.str_or("address", ""), args.int_or("port", 0), fam == 6 ? AF_INET6 : AF_INET);
  if (fam == 0) fam = e.family == AF_INET6 ? 6 : 4;
  if ((fam == 6) != (e.family == AF_INET6))
    throw InvalidArgument("address", "address family does not match family " + std::to_string(fam));
  int fd = ctx.ns.open_socket(e.family, type == "tcp" ? SOCK_STREAM : SOCK_DGRAM, 0);
  try {
    int one = 1;
    if (args.bool_or("reuseAddress", true)) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (e.family == AF_INET6) {
      int v6only = args.bool_or("ipv6Only", false) ? 1 : 0;
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    }
    if (bind_it && bind(fd, reinterpret_cast<sockaddr*>(&e.ss), e.len) < 0)
      throw SystemError(errno, "bind", args.str_or("address", "*") + ":" + std::to_string(args.int_or("port", 0)) +
                                           " in " + ctx.ns.label());
  } catch (...) {
    ::close(fd);
    throw;
  }
  ctx.undo.push("close socket", [fd] { ::close(fd); });
  Value out;
  out.set("fd", fd);
  out.set("port", bind_it ? bound_port(fd) : 0);
  return out;
}

NETPLUMB_OP("socket.open", open_socket);

}  // namespace
}  // namespace netplumb
