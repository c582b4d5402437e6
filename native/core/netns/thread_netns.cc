#include "core/netns/thread_netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "core/errors.h"

namespace netplumb {

namespace {
thread_local int home_fd = -1;
thread_local bool poisoned = false;

struct Identity {
  dev_t dev;
  ino_t ino;
};
Identity identity_of(int fd) {
  struct stat st;
  if (fstat(fd, &st) < 0) throw SystemError(errno, "fstat", "netns fd");
  return {st.st_dev, st.st_ino};
}

void go_home() {
  if (setns(home_fd, CLONE_NEWNET) < 0) {
    poisoned = true;
    throw ThreadPoisoned("worker thread could not return to its home network namespace");
  }
}
}  // namespace

void adopt_worker_thread() {
  if (home_fd >= 0) return;
  home_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home_fd < 0) throw SystemError(errno, "open", "/proc/thread-self/ns/net");
}

void release_worker_thread() {
  if (home_fd >= 0) ::close(home_fd);
  home_fd = -1;
}

bool is_worker_thread() { return home_fd >= 0 && !poisoned; }

void run_in_netns(int netns_fd, const std::function<void()>& fn) {
  if (!is_worker_thread())
    throw std::logic_error("run_in_netns called outside an addon worker thread");
  Identity target = identity_of(netns_fd), home = identity_of(home_fd);
  if (target.dev == home.dev && target.ino == home.ino) {
    fn();
    return;
  }
  if (setns(netns_fd, CLONE_NEWNET) < 0) throw SystemError(errno, "setns", "network namespace");
  try {
    fn();
  } catch (...) {
    go_home();
    throw;
  }
  go_home();
}

int run_in_new_netns(const std::function<void(int new_fd)>& fn) {
  if (!is_worker_thread())
    throw std::logic_error("run_in_new_netns called outside an addon worker thread");
  if (unshare(CLONE_NEWNET) < 0) throw SystemError(errno, "unshare(CLONE_NEWNET)", "");
  int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    go_home();
    throw SystemError(e, "open", "/proc/thread-self/ns/net");
  }
  try {
    fn(fd);
  } catch (...) {
    ::close(fd);
    go_home();
    throw;
  }
  go_home();
  return fd;
}

}  // namespace netplumb
