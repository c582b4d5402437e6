// Which sockets of a namespace hold ports: TCP listeners and bound,
// unconnected UDP sockets, read with socket-diag dumps (NETLINK_SOCK_DIAG,
// inet_diag), as `ss -lntu` does. Publishing a port that a process already
// listens on would take the port from it, and this tells without binding
// anything. TCP's listeners of both families come in one dump: the older
// TCPDIAG_GETSOCK request asks for no family (the kernel reads it as "any"),
// where SOCK_DIAG_BY_FAMILY needs one dump per family; UDP has no such
// request, so it takes one per family.
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include <set>

#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/netlink/attrs.h"

namespace netplumb {

namespace {

// From include/net/tcp_states.h.
constexpr uint32_t kTcpEstablished = 1;
constexpr uint32_t kTcpClose = 7;
constexpr uint32_t kTcpListen = 10;

std::string address_text(int family, const uint32_t* words) {
  char buf[INET6_ADDRSTRLEN] = "";
  inet_ntop(family, words, buf, sizeof buf);
  return buf;
}

void add_socket(const nlmsghdr* h, int protocol, const std::set<int64_t>& ports, Array& out) {
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) return;
  const auto* d = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
  int family = d->idiag_family;
  if (family != AF_INET && family != AF_INET6) return;
  int port = ntohs(d->id.idiag_sport);
  if (port == 0 || (!ports.empty() && !ports.count(port))) return;
  // A UDP socket connected to one peer only receives from it: not a listener.
  if (protocol == IPPROTO_UDP && d->idiag_state == kTcpEstablished) return;
  const char* proto = protocol == IPPROTO_TCP ? "tcp" : "udp";
  Value s{Object{}};
  s.set("protocol", proto);
  s.set("family", family == AF_INET6 ? 6 : 4);
  s.set("address", address_text(family, d->id.idiag_src));
  s.set("port", port);
  s.set("inode", static_cast<int64_t>(d->idiag_inode));
  bool v6only = false;
  size_t off = NLMSG_ALIGN(sizeof(inet_diag_msg));
  const auto* attrs = static_cast<const uint8_t*>(NLMSG_DATA(h)) + off;
  size_t len = h->nlmsg_len - NLMSG_LENGTH(off);
  for (nl::Attr a : nl::Attrs(attrs, len))
    if (a.type == INET_DIAG_SKV6ONLY && a.len >= 1) v6only = a.u8() != 0;
  if (family == AF_INET6) s.set("v6only", v6only);
  out.push_back(std::move(s));
}

// One port: the kernel filters by it (it compares a non-zero source port).
void filter_port(inet_diag_sockid& id, const std::set<int64_t>& ports) {
  if (ports.size() == 1) id.idiag_sport = htons(static_cast<uint16_t>(*ports.begin()));
}

void dump_family(nl::Socket& sock, int family, int protocol, const std::set<int64_t>& ports, Array& out) {
  const char* proto = protocol == IPPROTO_TCP ? "tcp" : "udp";
  nl::Message m(SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, "SOCK_DIAG_BY_FAMILY",
                std::string(proto) + (family == AF_INET6 ? "6" : "4") + " sockets");
  inet_diag_req_v2 req{};
  req.sdiag_family = static_cast<uint8_t>(family);
  req.sdiag_protocol = static_cast<uint8_t>(protocol);
  req.idiag_states = protocol == IPPROTO_TCP ? (1u << kTcpListen) : (1u << kTcpClose);
  filter_port(req.id, ports);
  m.put_header(req);
  sock.dump(m, [&](const nlmsghdr* h) {
    if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) add_socket(h, protocol, ports, out);
  });
}

// TCP listeners of both families in one dump (idiag_family 0: any).
void dump_tcp(nl::Socket& sock, const std::set<int64_t>& ports, Array& out) {
  nl::Message m(TCPDIAG_GETSOCK, NLM_F_DUMP, "TCPDIAG_GETSOCK", "tcp sockets");
  inet_diag_req req{};
  req.idiag_family = AF_UNSPEC;
  req.idiag_states = 1u << kTcpListen;
  filter_port(req.id, ports);
  m.put_header(req);
  sock.dump(m, [&](const nlmsghdr* h) {
    if (h->nlmsg_type == TCPDIAG_GETSOCK) add_socket(h, IPPROTO_TCP, ports, out);
  });
}

// {protocols?: ('tcp'|'udp')[], ports?: number[]} → [{protocol, family,
// address, port, inode, v6only?}]: the listening TCP and bound unconnected
// UDP sockets of the call's namespace, on `ports` when given.
Value listening(OpContext& ctx, const Value& args) {
  std::set<int64_t> ports;
  if (args.has("ports"))
    for (const Value& p : args["ports"].as_array("ports")) {
      int64_t port = p.as_int("ports");
      if (port < 1 || port > 65535) throw InvalidArgument("ports", "ports must be 1-65535");
      ports.insert(port);
    }
  bool tcp = true, udp = true;
  if (args.has("protocols")) {
    tcp = udp = false;
    for (const Value& p : args["protocols"].as_array("protocols")) {
      const std::string& name = p.as_string("protocols");
      if (name == "tcp") tcp = true;
      else if (name == "udp") udp = true;
      else throw InvalidArgument("protocols", "protocols are 'tcp' or 'udp', got '" + name + "'");
    }
  }
  nl::Socket& sock = ctx.ns.sock_diag();
  Array out;
  if (tcp) dump_tcp(sock, ports, out);
  if (udp)
    for (int family : {AF_INET, AF_INET6}) dump_family(sock, family, IPPROTO_UDP, ports, out);
  return Value(std::move(out));
}

NETPLUMB_OP("sockets.listening", listening);

}  // namespace
}  // namespace netplumb
