#include "core/rtnl/nsid.h"

#include <linux/net_namespace.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <string>

#include "core/errors.h"
#include "core/netlink/attrs.h"

namespace netplumb::rtnl {

namespace {

nl::Message nsid_request(uint16_t type, const std::string& object) {
  nl::Message m(type, 0, type == RTM_GETNSID ? "RTM_GETNSID" : "RTM_NEWNSID", object);
  rtgenmsg g{};
  g.rtgen_family = AF_UNSPEC;
  m.put_header(g);
  return m;
}

// The NETNSA_NSID of the RTM_NEWNSID answer; NETNSA_NSID_NOT_ASSIGNED when none.
int read_nsid(nl::Socket& sock, nl::Message& m) {
  int nsid = NETNSA_NSID_NOT_ASSIGNED;
  sock.request(m, [&](size_t, const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWNSID) return;
    if (auto a = nl::Attrs::of_message(h, sizeof(rtgenmsg)).get(NETNSA_NSID)) nsid = a->s32();
  });
  return nsid;
}

int get_by_fd(nl::Socket& sock, int fd) {
  nl::Message m = nsid_request(RTM_GETNSID, "namespace id");
  m.put_u32(NETNSA_FD, static_cast<uint32_t>(fd));
  return read_nsid(sock, m);
}

}  // namespace

int nsid_of(nl::Socket& sock, int fd) {
  int nsid = get_by_fd(sock, fd);
  if (nsid >= 0) return nsid;
  nl::Message assign = nsid_request(RTM_NEWNSID, "namespace id");
  assign.put_u32(NETNSA_FD, static_cast<uint32_t>(fd));
  assign.put_s32(NETNSA_NSID, NETNSA_NSID_NOT_ASSIGNED);  // the kernel picks one
  try {
    sock.request(assign);
  } catch (const NetlinkError& e) {
    if (e.err != EEXIST) throw;  // assigned meanwhile by another request
  }
  nsid = get_by_fd(sock, fd);
  if (nsid < 0) throw NetlinkError(ENOENT, "RTM_GETNSID", "namespace id", "the kernel assigned no id to the namespace");
  return nsid;
}

bool nsid_alive(nl::Socket& sock, int nsid) {
  nl::Message m = nsid_request(RTM_GETNSID, "namespace id " + std::to_string(nsid));
  m.put_s32(NETNSA_NSID, nsid);
  try {
    read_nsid(sock, m);
    return true;
  } catch (const NetlinkError& e) {
    if (e.err == ENOENT) return false;
    throw;
  }
}

}  // namespace netplumb::rtnl
