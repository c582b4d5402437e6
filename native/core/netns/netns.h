// A network namespace held open by a file descriptor, with the netlink
// sockets bound to it, opened on first use from a worker thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>

#include "core/netlink/socket.h"
#include "core/value.h"

namespace netplumb {

class Netns {
 public:
  // Takes ownership of `fd`, an open /proc/.../ns/net or /run/netns/NAME.
  Netns(int fd, std::string label);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  // The namespace the process was in when the addon loaded.
  static NetnsRef process();
  // Opens the namespace at `path` (a bind mount or /proc/PID/ns/net).
  static NetnsRef open_path(const std::string& path, const std::string& label);

  int fd() const;  // throws when closed
  const std::string& label() const { return label_; }
  ino_t inode() const { return inode_; }
  dev_t device() const { return device_; }
  bool same_as(const Netns& o) const { return inode_ == o.inode_ && device_ == o.device_; }

  // Sockets bound to this namespace; opened on first use. Must be called on a
  // worker thread (they are opened with setns there).
  nl::Socket& rtnl();
  nl::Socket& nfnl();
  nl::Socket& sock_diag();
  // Hands over an rtnetlink socket already opened inside this namespace
  // (by whoever created it), so rtnl() need not enter it to open one.
  void adopt_rtnl(std::unique_ptr<nl::Socket> sock);
  // A netlink socket of its own (for event subscriptions), bound to this namespace.
  std::unique_ptr<nl::Socket> open_netlink(int protocol);
  // Opens a fresh socket (any family) inside this namespace.
  int open_socket(int domain, int type, int protocol);
  // The kernel's identity of this namespace (SO_NETNS_COOKIE of a socket in
  // it): unique per boot, unlike the inode number, which a namespace made
  // after this one died may get again. Opens the rtnetlink socket if needed.
  uint64_t cookie();

  void close();
  bool closed() const;

 private:
  mutable std::mutex mutex_;
  int fd_;
  std::string label_;
  ino_t inode_ = 0;
  dev_t device_ = 0;
  std::unique_ptr<nl::Socket> rtnl_;
  std::unique_ptr<nl::Socket> nfnl_;
  std::unique_ptr<nl::Socket> diag_;
};

}  // namespace netplumb
