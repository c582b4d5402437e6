// Operations on network namespaces: create (named like `ip netns add`, or
// anonymous and held only by a handle), open, list, delete.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>

#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/netns/netns.h"
#include "core/netns/thread_netns.h"
#include "core/rtnl/nsid.h"

namespace netplumb {

namespace {

const char* kDefaultDir = "/run/netns";

std::string check_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos || name.size() > 255)
    throw InvalidArgument("name", "namespace name '" + name +
                                      "' must be 1-255 characters without '/', and not '.' or '..'");
  return name;
}

std::string dir_of(const Value& args) { return args.str_or("dir", kDefaultDir); }

// Like iproute2: the directory is a shared mount, so that namespaces mounted
// later appear in every mount namespace that sees it.
void prepare_dir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) throw SystemError(errno, "mkdir", dir);
  if (mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) == 0) return;
  if (errno != EINVAL) throw SystemError(errno, "mount --make-shared", dir);
  // Not a mount point yet: bind it onto itself, then share it.
  if (mount(dir.c_str(), dir.c_str(), "none", MS_BIND | MS_REC, nullptr) < 0)
    throw SystemError(errno, "mount --bind", dir);
  if (mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) < 0)
    throw SystemError(errno, "mount --make-shared", dir);
}

// Making the directory shared again is a recursive mount change that walks
// every namespace already mounted under it (it made the 1,000th creation
// cost 1.5x the first), so each directory is prepared once per process.
void prepare_dir_once(const std::string& dir) {
  static std::mutex mutex;
  static std::set<std::string> prepared;
  std::lock_guard<std::mutex> lock(mutex);
  if (prepared.count(dir)) return;
  prepare_dir(dir);
  prepared.insert(dir);
}

// lo up, sent from inside the fresh namespace on the socket that then
// becomes the namespace's rtnetlink socket: no setns round trip for either.
std::unique_ptr<nl::Socket> loopback_up_here() {
  auto sock = std::make_unique<nl::Socket>(NETLINK_ROUTE);
  nl::Message m(RTM_NEWLINK, 0, "RTM_NEWLINK", "lo");
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = 1;  // lo is always ifindex 1 in a new namespace
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  m.put_header(ifi);
  sock->request(m);
  return sock;
}

void remove_named(const std::string& path) {
  if (umount2(path.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    throw SystemError(errno, "umount", path);
  if (unlink(path.c_str()) < 0 && errno != ENOENT) throw SystemError(errno, "unlink", path);
}

// {name?, dir?, loopbackUp?} → a handle. Nothing to undo for lo: it goes with the namespace.
Value create(OpContext& ctx, const Value& args) {
  bool lo_up = args.bool_or("loopbackUp", false);
  std::unique_ptr<nl::Socket> rtnl;
  if (!args.has("name")) {
    int fd = run_in_new_netns([&](int) {
      if (lo_up) rtnl = loopback_up_here();
    });
    auto ns = std::make_shared<Netns>(fd, "anonymous namespace");
    if (rtnl) ns->adopt_rtnl(std::move(rtnl));
    return Value(std::move(ns));
  }
  std::string name = check_name(args.str("name"));
  std::string dir = dir_of(args);
  std::string path = dir + "/" + name;
  prepare_dir_once(dir);
  int file = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (file < 0 && errno == ENOENT) {  // the directory went away since: make it again
    prepare_dir(dir);
    file = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  }
  if (file < 0) {
    if (errno == EEXIST)
      throw SystemError(EEXIST, "create namespace", name + " (already exists in " + dir + ")");
    throw SystemError(errno, "create namespace", path);
  }
  ::close(file);
  int fd;
  try {
    fd = run_in_new_netns([&](int) {
      if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) < 0)
        throw SystemError(errno, "mount --bind", path);
      if (lo_up) rtnl = loopback_up_here();
    });
  } catch (...) {
    umount2(path.c_str(), MNT_DETACH);  // mounted already when lo could not come up
    unlink(path.c_str());
    throw;
  }
  ctx.undo.push("delete namespace " + name, [path] { remove_named(path); });
  auto ns = std::make_shared<Netns>(fd, name);
  if (rtnl) ns->adopt_rtnl(std::move(rtnl));
  return Value(std::move(ns));
}

Value open_ns(OpContext&, const Value& args) {
  if (args.has("name")) {
    std::string name = check_name(args.str("name"));
    return Value(Netns::open_path(dir_of(args) + "/" + name, name));
  }
  if (args.has("pid")) {
    int64_t pid = args.integer("pid");
    if (pid <= 0) throw InvalidArgument("pid", "pid must be a positive integer");
    std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
    return Value(Netns::open_path(path, "pid " + std::to_string(pid)));
  }
  if (args.has("path")) return Value(Netns::open_path(args.str("path"), ""));
  return Value(Netns::process());
}

Value remove(OpContext&, const Value& args) {
  std::string name = check_name(args.str("name"));
  std::string path = dir_of(args) + "/" + name;
  struct stat st;
  if (stat(path.c_str(), &st) < 0) {
    if (errno == ENOENT && args.bool_or("ifExists", false)) return Value(false);
    throw SystemError(errno, "delete namespace", name);
  }
  remove_named(path);
  return Value(true);
}

// Takes each named link of the plan's namespace down; one already gone is fine.
void set_down(nl::Socket& sock, const Array& names) {
  for (const Value& v : names) {
    std::string name = v.as_string("downIfHeld");
    nl::Message m(RTM_NEWLINK, 0, "RTM_NEWLINK", name);
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_change = IFF_UP;
    m.put_header(ifi);
    m.put_str(IFLA_IFNAME, name);
    try {
      sock.request(m);
    } catch (const NetlinkError& e) {
      if (e.err != ENODEV) throw;
    }
  }
}

// {name, dir?, ifExists?, downIfHeld?: [link names]} → {removed, held}.
// Deletes the name like netns.delete, then asks the kernel whether the
// namespace outlived it: someone else (a process inside, an open file, a
// socket, another mount) still holds it. Only then are the links named in
// `downIfHeld` (host ends of its veth pairs, in the plan's namespace) taken
// down, so that a namespace nobody holds costs no link change: the kernel
// deletes its pairs with it. The namespace's id is looked up while the name
// still holds it, and asked for again after: a namespace whose last
// reference went cannot be found by id any more, and none can take a new
// reference to it. A name already gone leaves nothing to ask: the links are
// taken down. Nothing to undo: a deleted name cannot be made again.
Value release(OpContext& ctx, const Value& args) {
  std::string name = check_name(args.str("name"));
  std::string path = dir_of(args) + "/" + name;
  Array down = args.has("downIfHeld") ? args["downIfHeld"].as_array("downIfHeld") : Array{};
  nl::Socket& sock = ctx.ns.rtnl();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT || !args.bool_or("ifExists", false)) throw SystemError(errno, "delete namespace", name);
    set_down(sock, down);
    return Value(Object{{"removed", Value(false)}, {"held", Value(true)}});
  }
  int nsid;
  try {
    nsid = rtnl::nsid_of(sock, fd);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);  // our own reference must be gone before the kernel is asked
  remove_named(path);
  bool held = rtnl::nsid_alive(sock, nsid);
  if (held) set_down(sock, down);
  return Value(Object{{"removed", Value(true)}, {"held", Value(held)}});
}

Value list(OpContext&, const Value& args) {
  Array out;
  std::string dir = dir_of(args);
  DIR* d = opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return Value(std::move(out));
    throw SystemError(errno, "opendir", dir);
  }
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    out.push_back(Value(std::string(e->d_name)));
  }
  closedir(d);
  return Value(std::move(out));
}

NETPLUMB_OP("netns.create", create);
NETPLUMB_OP("netns.open", open_ns);
NETPLUMB_OP("netns.delete", remove);
NETPLUMB_OP("netns.release", release);
NETPLUMB_OP("netns.list", list);

}  // namespace
}  // namespace netplumb
