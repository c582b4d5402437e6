#include "core/netlink/socket.h"

#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "core/boundary.h"
#include "core/errors.h"
#include "core/netlink/attrs.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

namespace netplumb::nl {

namespace {

constexpr int kReceiveBuffer = 4 << 20;

struct Failure {
  int err;
  std::string extack;
  int64_t offset = -1;
};

// Reads the error code and extended-ACK TLVs of an NLMSG_ERROR or NLMSG_DONE.
Failure read_error(const nlmsghdr* h) {
  Failure f{0, {}, -1};
  const auto* payload = static_cast<const uint8_t*>(NLMSG_DATA(h));
  size_t plen = h->nlmsg_len - NLMSG_HDRLEN;
  if (h->nlmsg_type == NLMSG_DONE) {
    if (plen >= sizeof(int)) {
      int e;
      std::memcpy(&e, payload, sizeof e);
      f.err = -e;
    }
    if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || plen <= sizeof(int)) return f;
    payload += NLMSG_ALIGN(sizeof(int));
    plen -= NLMSG_ALIGN(sizeof(int));
  } else {
    if (plen < sizeof(nlmsgerr)) return Failure{EBADMSG, "short NLMSG_ERROR from the kernel"};
    nlmsgerr e;
    std::memcpy(&e, payload, sizeof e);
    f.err = -e.error;
    if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return f;
    size_t skip = sizeof(nlmsgerr);
    if (!(h->nlmsg_flags & NLM_F_CAPPED)) skip += e.msg.nlmsg_len - NLMSG_HDRLEN;
    skip = NLMSG_ALIGN(skip);
    if (skip > plen) return f;
    payload += skip;
    plen -= skip;
  }
  for (Attr a : Attrs(payload, plen)) {
    if (a.type == NLMSGERR_ATTR_MSG) f.extack = a.str();
    if (a.type == NLMSGERR_ATTR_OFFS && a.len >= 4) f.offset = a.u32();
  }
  return f;
}

[[noreturn]] void throw_failure(const Failure& f, const Message& m) {
  throw NetlinkError(f.err, m.op(), m.object(), f.extack, f.offset);
}

}  // namespace

Socket::Socket(int protocol) : protocol_(protocol), buf_(32768) {
  fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd_ < 0) throw SystemError(errno, "socket(AF_NETLINK)", "");
  int one = 1;
  // Extended ACK gives the kernel's reason; CAP_ACK keeps error replies small;
  // strict checking makes dump filters exact. Older kernels lack some: not fatal.
  setsockopt(fd_, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd_, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  setsockopt(fd_, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);
  int rcv = kReceiveBuffer;
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    int e = errno;
    ::close(fd_);
    throw SystemError(e, "bind(AF_NETLINK)", "");
  }
  socklen_t len = sizeof sa;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  portid_ = sa.nl_pid;
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  seq_ = static_cast<uint32_t>(ts.tv_nsec);
}

Socket::Socket(int fd, int protocol, bool) : fd_(fd), protocol_(protocol), buf_(32768) {
  sockaddr_nl sa{};
  socklen_t len = sizeof sa;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  portid_ = sa.nl_pid;
  seq_ = 1;
}

std::unique_ptr<Socket> Socket::adopt(int fd, int protocol) {
  return std::unique_ptr<Socket>(new Socket(fd, protocol, true));
}

void Socket::ensure_send_buffer(int bytes) {
  if (send_buffer_ >= bytes) return;
  if (setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) < 0)
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  send_buffer_ = bytes;
}

int Socket::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

void Socket::send_all(std::vector<Message>& msgs, const Message* head, const Message* tail) {
  std::vector<iovec> iov;
  iov.reserve(msgs.size() + 2);
  if (head) iov.push_back({const_cast<uint8_t*>(head->data()), head->size()});
  for (auto& m : msgs) iov.push_back({const_cast<uint8_t*>(m.data()), m.size()});
  if (tail) iov.push_back({const_cast<uint8_t*>(tail->data()), tail->size()});
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  // sendmsg takes at most IOV_MAX vectors; larger batches go in slices, which
  // the kernel still reads as one stream for nfnetlink only if sent at once,
  // so batches are flattened into one buffer instead.
  std::vector<uint8_t> flat;
  msghdr mh{};
  mh.msg_name = &kernel;
  mh.msg_namelen = sizeof kernel;
  if (iov.size() > 1024) {
    size_t total = 0;
    for (auto& v : iov) total += v.iov_len;
    flat.reserve(total);
    for (auto& v : iov)
      flat.insert(flat.end(), static_cast<uint8_t*>(v.iov_base),
                  static_cast<uint8_t*>(v.iov_base) + v.iov_len);
    iov.assign(1, iovec{flat.data(), flat.size()});
  }
  mh.msg_iov = iov.data();
  mh.msg_iovlen = iov.size();
  const Message& first = msgs.empty() ? *head : msgs.front();
  if (boundaries_enabled()) boundary(("send " + first.op() + " " + first.object()).c_str());
  ssize_t n;
  do {
    n = sendmsg(fd_, &mh, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    throw NetlinkError(errno, first.op(), first.object(), "sendmsg failed");
  }
}

size_t Socket::receive(bool dontwait) {
  for (;;) {
    ssize_t n = recv(fd_, buf_.data(), 0, MSG_PEEK | MSG_TRUNC | (dontwait ? MSG_DONTWAIT : 0));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      throw SystemError(errno, "recv(AF_NETLINK)", "");
    }
    if (static_cast<size_t>(n) > buf_.size()) buf_.resize(static_cast<size_t>(n));
    n = recv(fd_, buf_.data(), buf_.size(), dontwait ? MSG_DONTWAIT : 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      throw SystemError(errno, "recv(AF_NETLINK)", "");
    }
    return static_cast<size_t>(n);
  }
}

std::vector<Outcome> Socket::transact_each(std::vector<Message>& msgs) {
  std::vector<Outcome> out(msgs.size());
  if (msgs.empty()) return out;
  std::lock_guard<std::mutex> lock(mutex_);
  exchange(msgs, {}, &out);
  return out;
}

std::vector<Outcome> Socket::transact_quiet(std::vector<Message>& msgs) {
  std::vector<Outcome> out(msgs.size());
  if (msgs.empty()) return out;
  std::lock_guard<std::mutex> lock(mutex_);
  exchange(msgs, {}, &out, false);
  return out;
}

void Socket::transact(std::vector<Message>& msgs, const ReplyHandler& on_reply) {
  if (msgs.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Outcome> out(msgs.size());
  exchange(msgs, on_reply, &out);
  for (size_t i = 0; i < out.size(); i++)
    if (out[i].err) throw NetlinkError(out[i].err, msgs[i].op(), msgs[i].object(), out[i].extack, out[i].offset);
}

void Socket::exchange(std::vector<Message>& msgs, const ReplyHandler& on_reply, std::vector<Outcome>* outcomes, bool ack_each) {
  uint32_t first_seq = next_seq();
  for (size_t i = 0; i < msgs.size(); i++) {
    msgs[i].set_seq(i == 0 ? first_seq : next_seq());
    if (ack_each || i + 1 == msgs.size()) msgs[i].add_flags(NLM_F_ACK);
  }
  send_all(msgs, nullptr, nullptr);
  // Without an ACK each, the answers end with the last message's: the kernel
  // handles a sendmsg's messages in order, so every refusal comes before it.
  size_t pending = ack_each ? msgs.size() : 1;
  while (pending) {
    size_t n = receive(false);
    for (auto* h = reinterpret_cast<const nlmsghdr*>(buf_.data()); NLMSG_OK(h, n);
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_pid != portid_ && h->nlmsg_pid != 0) continue;
      uint32_t idx = h->nlmsg_seq - first_seq;
      if (idx >= msgs.size()) continue;  // a stale answer to an earlier, abandoned request
      if (h->nlmsg_type == NLMSG_ERROR) {
        Failure f = read_error(h);
        (*outcomes)[idx] = Outcome{f.err, f.extack, f.offset};
        if (ack_each || idx + 1 == msgs.size()) pending--;
      } else if (h->nlmsg_type != NLMSG_NOOP && h->nlmsg_type != NLMSG_DONE) {
        if (on_reply) on_reply(idx, h);
      }
    }
  }
}

void Socket::request(Message& msg, const ReplyHandler& on_reply) {
  std::vector<Message> one{std::move(msg)};
  try {
    transact(one, on_reply);
  } catch (...) {
    msg = std::move(one.front());
    throw;
  }
  msg = std::move(one.front());
}

void Socket::dump(Message& msg, const std::function<void(const nlmsghdr*)>& on_message,
                  int retries) {
  for (;;) {
    bool interrupted = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      msg.set_seq(next_seq());
      msg.add_flags(NLM_F_DUMP);
      std::vector<Message> one{msg};
      send_all(one, nullptr, nullptr);
      bool done = false;
      std::optional<Failure> failure;
      while (!done) {
        size_t n = receive(false);
        for (auto* h = reinterpret_cast<const nlmsghdr*>(buf_.data()); NLMSG_OK(h, n);
             h = NLMSG_NEXT(h, n)) {
          if (h->nlmsg_seq != msg.seq()) continue;
          if (h->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
          if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
            Failure f = read_error(h);
            if (f.err && !failure) failure = f;
            done = true;
            break;
          }
          if (h->nlmsg_type == NLMSG_NOOP) continue;
          if (!interrupted) on_message(h);
        }
      }
      if (failure) throw_failure(*failure, msg);
    }
    if (!interrupted) return;
    if (retries-- <= 0) throw DumpInterrupted(msg.op(), msg.object());
  }
}

void Socket::batch(std::vector<Message>& msgs, uint16_t res_id, const ReplyHandler& on_reply, uint32_t genid) {
  if (msgs.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto bracket = [&](uint16_t type) {
    Message m(type, 0, "NFNL_MSG_BATCH");
    nfgenmsg g{};
    g.nfgen_family = AF_UNSPEC;
    g.version = NFNETLINK_V0;
    g.res_id = htobe16(res_id);
    m.put_header(g);
    m.set_seq(next_seq());
    return m;
  };
  Message begin = bracket(NFNL_MSG_BATCH_BEGIN);
  if (genid) {
    begin.put_be32(NFNL_BATCH_GENID, genid);
    begin.set_object("transaction prepared against ruleset generation " + std::to_string(genid));
  }
  uint32_t first_seq = next_seq();
  for (size_t i = 0; i < msgs.size(); i++) {
    msgs[i].set_seq(i == 0 ? first_seq : next_seq());
    msgs[i].add_flags(NLM_F_ACK);
  }
  Message end = bracket(NFNL_MSG_BATCH_END);
  send_all(msgs, &begin, &end);
  // nfnetlink handles the whole batch inside sendmsg, so every answer is
  // already queued: read until each message is answered or the queue is empty
  // (a batch refused as a whole answers only its BEGIN).
  size_t pending = msgs.size();
  std::optional<std::pair<Failure, const Message*>> first_failure;
  while (pending) {
    size_t n = receive(true);
    if (n == 0) break;
    for (auto* h = reinterpret_cast<const nlmsghdr*>(buf_.data()); NLMSG_OK(h, n);
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq == begin.seq() || h->nlmsg_seq == end.seq()) {
        if (h->nlmsg_type == NLMSG_ERROR) {
          Failure f = read_error(h);
          if (f.err && !first_failure) first_failure.emplace(f, &begin);
        }
        continue;
      }
      uint32_t idx = h->nlmsg_seq - first_seq;
      if (idx >= msgs.size()) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        Failure f = read_error(h);
        if (f.err && !first_failure) first_failure.emplace(f, &msgs[idx]);
        pending--;
      } else if (on_reply) {
        on_reply(idx, h);
      }
    }
  }
  if (first_failure) throw_failure(first_failure->first, *first_failure->second);
}

void Socket::join_group(uint32_t group) {
  if (setsockopt(fd_, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
    throw SystemError(errno, "setsockopt(NETLINK_ADD_MEMBERSHIP)", std::to_string(group));
}

bool Socket::read_events(const std::function<void(const nlmsghdr*)>& on_message) {
  size_t n = receive(true);
  if (n == 0) return false;
  for (auto* h = reinterpret_cast<const nlmsghdr*>(buf_.data()); NLMSG_OK(h, n);
       h = NLMSG_NEXT(h, n)) {
    if (h->nlmsg_type == NLMSG_NOOP || h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE)
      continue;
    on_message(h);
  }
  return true;
}

}  // namespace netplumb::nl
