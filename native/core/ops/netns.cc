// Operations on network namespaces: create (named like `ip netns add`, or
// anonymous and held only by a handle), open, list, delete, and the veth
// ends of a deleted namespace that someone still holds.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "core/boundary.h"
#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/netns/netns.h"
#include "core/netns/thread_netns.h"
#include "core/rtnl/link_build.h"
#include "core/rtnl/link_read.h"

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
  if (boundaries_enabled()) boundary(("umount " + path).c_str());
  if (umount2(path.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    throw SystemError(errno, "umount", path);
  if (boundaries_enabled()) boundary(("unlink " + path).c_str());
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
  if (boundaries_enabled()) boundary(("create " + path).c_str());
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
    if (boundaries_enabled()) boundary(("mount " + path).c_str());
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

std::string cookie_text(uint64_t cookie) { return std::to_string(cookie); }

NetnsRef open_target(const Value& args) {
  if (args.has("name")) {
    std::string name = check_name(args.str("name"));
    return Netns::open_path(dir_of(args) + "/" + name, name);
  }
  if (args.has("pid")) {
    int64_t pid = args.integer("pid");
    if (pid <= 0) throw InvalidArgument("pid", "pid must be a positive integer");
    std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
    return Netns::open_path(path, "pid " + std::to_string(pid));
  }
  if (args.has("path")) {
    const std::string& path = args.str("path");
    if (path.find('\0') != std::string::npos) throw InvalidArgument("path", "a namespace path may not contain NUL");
    return Netns::open_path(path, "");
  }
  return Netns::process();
}

// {name|path|pid, cookie?} → a handle. With `cookie`, a namespace whose
// cookie differs is refused (ESTALE): the path or pid now names another
// namespace than the one recorded, which must not be changed.
Value open_ns(OpContext&, const Value& args) {
  NetnsRef ns = open_target(args);
  if (args.has("cookie")) {
    std::string found = cookie_text(ns->cookie());
    if (found != args.str("cookie")) {
      std::string label = ns->label();
      ns->close();
      throw SystemError(ESTALE, "open namespace",
                        label + " (another namespace than the one recorded: cookie " + found + ", expected " +
                            args.str("cookie") + ")");
    }
  }
  return Value(std::move(ns));
}

// {} → the cookie (decimal text: it is a 64-bit counter) of the call's namespace.
Value cookie(OpContext& ctx, const Value&) { return Value(cookie_text(ctx.ns.cookie())); }

// Whether the namespace that `nsid` names (as seen from `sock`'s namespace)
// is still alive: the kernel resolves an nsid only to a namespace someone
// still holds, so asking for its loopback fails once the last holder is gone.
bool nsid_alive(nl::Socket& sock, int32_t nsid) {
  nl::Message m = rtnl::link_request(RTM_GETLINK, 0, 1, "", "RTM_GETLINK");
  m.set_object("lo of namespace id " + std::to_string(nsid));
  m.put_s32(IFLA_TARGET_NETNSID, nsid);
  try {
    sock.request(m);
    return true;
  } catch (const NetlinkError&) {
    return false;
  }
}

// {name, dir?, ifExists?} → whether it existed. The kernel deletes the
// namespace, and the veths with an end in it, once nobody holds it; see
// held_peers for the pairs of a namespace someone still holds.
Value remove(OpContext&, const Value& args) {
  std::string name = check_name(args.str("name"));
  std::string path = dir_of(args) + "/" + name;
  struct stat st;
  bool existed = stat(path.c_str(), &st) == 0;
  if (!existed && (errno != ENOENT || !args.bool_or("ifExists", false)))
    throw SystemError(errno, "delete namespace", name);
  if (existed) remove_named(path);
  return Value(existed);
}

// {peers, action: 'down'|'delete'} → the names acted on. Of these veth host
// ends (in the call's namespace), those whose other end's namespace someone
// still holds are taken down or deleted; a namespace nobody holds takes its
// pairs along in the kernel's own cleanup. Asked once, without waiting: the
// netlink and DNS sockets that used a namespace a moment ago release it only
// after an RCU grace period, and waiting that out (or deleting a veth, ~25 ms
// of the kernel's time) is most of a remove. A remove takes such ends down
// (a down bridge port forwards nothing) and deletes them later, off the
// caller's path (LinkReaper). Ends already gone are skipped.
Value held_peers(OpContext& ctx, const Value& args) {
  const std::string& action = args.str("action");
  if (action != "down" && action != "delete")
    throw InvalidArgument("action", "action must be 'down' or 'delete', got '" + action + "'");
  Array acted;
  // Peers in one namespace (a sandbox on several networks) ask about it once.
  std::map<int32_t, bool> alive;
  for (const Value& v : args["peers"].as_array("peers")) {
    const std::string& name = v.as_string("peers");
    try {
      Value link = rtnl::get_link(ctx.ns.rtnl(), 0, name);
      // No nsid: the kernel no longer names the peer's namespace, or never did; act, to be sure.
      if (link["linkNetnsId"].is_int()) {
        auto nsid = static_cast<int32_t>(link["linkNetnsId"].as_int());
        auto known = alive.find(nsid);
        if (known == alive.end()) known = alive.emplace(nsid, nsid_alive(ctx.ns.rtnl(), nsid)).first;
        if (!known->second) continue;
      }
      nl::Message m = action == "down" ? rtnl::up_request(0, name, false) : rtnl::link_request(RTM_DELLINK, 0, 0, name, "RTM_DELLINK");
      ctx.ns.rtnl().request(m);
      acted.push_back(Value(name));
    } catch (const NetlinkError& e) {
      if (e.err != ENODEV) throw;  // gone with its namespace meanwhile
    }
  }
  return Value(std::move(acted));
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
NETPLUMB_OP("netns.list", list);
NETPLUMB_OP("netns.cookie", cookie);
NETPLUMB_OP("netns.heldPeers", held_peers);

}  // namespace
}  // namespace netplumb
