// Per-namespace sysctls (net.*) read and written through /proc/sys from a
// worker thread that has entered the namespace: the kernel picks the
// namespace's table when the file is opened.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/netns/thread_netns.h"

namespace netplumb {

namespace {

// "net.ipv4.ip_forward" or "net/ipv4/conf/eth0.100/forwarding" (slashes when a
// component holds a dot, as sysctl(8) allows).
std::string proc_path(const std::string& key) {
  char sep = key.find('/') != std::string::npos ? '/' : '.';
  std::string path = "/proc/sys";
  size_t start = 0;
  bool first = true;
  while (start <= key.size()) {
    size_t end = key.find(sep, start);
    if (end == std::string::npos) end = key.size();
    std::string part = key.substr(start, end - start);
    if (part.empty() || part == "." || part == ".." || part.find('\0') != std::string::npos ||
        (sep == '.' && part.find('/') != std::string::npos))
      throw InvalidArgument("key", "sysctl key '" + key + "' has an empty or invalid component");
    if (first && part != "net")
      throw InvalidArgument("key", "sysctl key '" + key + "' is not per network namespace: only net.* keys are");
    first = false;
    path += "/" + part;
    start = end + 1;
  }
  return path;
}

// Both run on a thread already inside the namespace.
std::string read_here(const std::string& path) {
  std::string out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw SystemError(errno, "open", path);
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  int e = errno;
  ::close(fd);
  if (n < 0) throw SystemError(e, "read", path);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

void write_here(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw SystemError(errno, "open", path);
  ssize_t n = write(fd, value.data(), value.size());
  int e = errno;
  ::close(fd);
  if (n < 0) throw SystemError(e, "write", path + " = " + value);
}

std::string read_in(int nsfd, const std::string& path) {
  std::string out;
  run_in_netns(nsfd, [&] { out = read_here(path); });
  return out;
}

void write_in(int nsfd, const std::string& path, const std::string& value) {
  run_in_netns(nsfd, [&] { write_here(path, value); });
}

std::string value_text(const Value& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_bool()) return v.as_bool() ? "1" : "0";
  if (v.is_int()) return std::to_string(v.as_int());
  throw InvalidArgument("value", "a sysctl value must be a string, integer or boolean");
}

Value get(OpContext& ctx, const Value& args) { return Value(read_in(ctx.ns.fd(), proc_path(args.str("key")))); }

// Returns the value it replaced; the plan's undo writes that back.
Value set(OpContext& ctx, const Value& args) {
  std::string path = proc_path(args.str("key"));
  std::string value = value_text(args["value"]);
  std::string before;
  bool changed = false;
  // Read and write in one visit to the namespace.
  run_in_netns(ctx.ns.fd(), [&] {
    before = read_here(path);
    changed = before != value;
    if (changed) write_here(path, value);
  });
  if (changed) {
    Netns* ns = &ctx.ns;
    ctx.undo.push("sysctl " + args.str("key"), [ns, path, before] { write_in(ns->fd(), path, before); });
  }
  return Value(before);
}

NETPLUMB_OP("sysctl.get", get);
NETPLUMB_OP("sysctl.set", set);

}  // namespace
}  // namespace netplumb
