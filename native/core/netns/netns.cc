#include "core/netns/netns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/errors.h"
#include "core/netns/thread_netns.h"

namespace netplumb {

Netns::Netns(int fd, std::string label) : fd_(fd), label_(std::move(label)) {
  struct stat st;
  if (fstat(fd, &st) == 0) {
    inode_ = st.st_ino;
    device_ = st.st_dev;
  }
}

Netns::~Netns() { close(); }

NetnsRef Netns::process() {
  static NetnsRef self = [] {
    int fd = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw SystemError(errno, "open", "/proc/self/ns/net");
    return std::make_shared<Netns>(fd, "the process's network namespace");
  }();
  return self;
}

NetnsRef Netns::open_path(const std::string& path, const std::string& label) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw SystemError(errno, "open", path);
  // Only a network namespace file may become a handle.
  int type = ioctl(fd, NS_GET_NSTYPE);
  if (type != CLONE_NEWNET) {
    int e = type < 0 ? errno : EINVAL;
    ::close(fd);
    throw SystemError(e, "open", path + " (not a network namespace)");
  }
  return std::make_shared<Netns>(fd, label.empty() ? path : label);
}

int Netns::fd() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fd_ < 0) throw InvalidArgument("netns", "the namespace handle for " + label_ + " is closed");
  return fd_;
}

nl::Socket& Netns::rtnl() {
  int nsfd = fd();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!rtnl_) run_in_netns(nsfd, [&] { rtnl_ = std::make_unique<nl::Socket>(NETLINK_ROUTE); });
  return *rtnl_;
}

void Netns::adopt_rtnl(std::unique_ptr<nl::Socket> sock) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!rtnl_) rtnl_ = std::move(sock);
}

nl::Socket& Netns::nfnl() {
  int nsfd = fd();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!nfnl_)
    run_in_netns(nsfd, [&] { nfnl_ = std::make_unique<nl::Socket>(NETLINK_NETFILTER); });
  return *nfnl_;
}

nl::Socket& Netns::sock_diag() {
  int nsfd = fd();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!diag_) run_in_netns(nsfd, [&] { diag_ = std::make_unique<nl::Socket>(NETLINK_SOCK_DIAG); });
  return *diag_;
}

std::unique_ptr<nl::Socket> Netns::open_netlink(int protocol) {
  std::unique_ptr<nl::Socket> out;
  run_in_netns(fd(), [&] { out = std::make_unique<nl::Socket>(protocol); });
  return out;
}

int Netns::open_socket(int domain, int type, int protocol) {
  int out = -1;
  run_in_netns(fd(), [&] {
    out = ::socket(domain, type | SOCK_CLOEXEC, protocol);
    if (out < 0) throw SystemError(errno, "socket", label_);
  });
  return out;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

uint64_t Netns::cookie() {
  nl::Socket& sock = rtnl();
  uint64_t cookie = 0;
  socklen_t len = sizeof cookie;
  if (getsockopt(sock.fd(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0)
    throw SystemError(errno, "getsockopt(SO_NETNS_COOKIE)", label_);
  return cookie;
}

void Netns::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  rtnl_.reset();
  nfnl_.reset();
  diag_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool Netns::closed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fd_ < 0;
}

}  // namespace netplumb
