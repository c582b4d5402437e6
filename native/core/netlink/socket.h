// A netlink socket bound to the namespace it was opened in. Requests carry
// sequence numbers, ask for ACKs with extended-ACK TLVs, and can go several
// to one sendmsg. Reads are sized with MSG_PEEK|MSG_TRUNC.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/netlink/message.h"

namespace netplumb::nl {

// Called for each reply message (not ACKs/errors) with the index of the request it answers.
using ReplyHandler = std::function<void(size_t request_index, const nlmsghdr*)>;

// How the kernel answered one request of a transaction: err 0 when it was applied.
struct Outcome {
  int err = 0;
  std::string extack;
  int64_t offset = -1;
};

class Socket {
 public:
  // Opens a socket of `protocol` (NETLINK_ROUTE, NETLINK_NETFILTER) in the
  // calling thread's current network namespace.
  explicit Socket(int protocol);
  // Takes over an open netlink socket (one made by release()).
  static std::unique_ptr<Socket> adopt(int fd, int protocol);
  ~Socket();
  // Gives up the descriptor; the caller closes it.
  int release();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int fd() const { return fd_; }
  int protocol() const { return protocol_; }

  // Raises the send buffer to at least `bytes` (SO_SNDBUFFORCE, else as far
  // as SO_SNDBUF may go); a socket that was raised that far already is left
  // as it is, so a caller on a hot path pays the two calls once per socket.
  void ensure_send_buffer(int bytes);

  // Sends every message in one sendmsg, each with NLM_F_ACK, and waits until
  // each is answered. Replies go to `on_reply`. If any request failed, the
  // first failure is thrown after all answers are read, so the socket stays
  // in step. Requests after a failed one have still been applied by the
  // kernel (rtnetlink treats them independently): callers that need
  // all-or-nothing undo what succeeded.
  void transact(std::vector<Message>& msgs, const ReplyHandler& on_reply = {});
  void request(Message& msg, const ReplyHandler& on_reply = {});
  // Like transact, but never throws for a refused request: returns each
  // request's outcome, so a caller can take back exactly what was applied.
  std::vector<Outcome> transact_each(std::vector<Message>& msgs);
  // Like transact_each, but only the last message asks for an ACK. The kernel
  // answers a request without NLM_F_ACK only when it refuses it, so a bulk
  // change costs no answer per applied message (an skb queued, and a read
  // of ours, each); the last ACK marks the end of the answers.
  std::vector<Outcome> transact_quiet(std::vector<Message>& msgs);

  // Runs a dump request and hands each message to `on_message`. Throws
  // DumpInterrupted when the kernel flagged NLM_F_DUMP_INTR; with
  // `retries` > 0 the dump is run again that many times first.
  void dump(Message& msg, const std::function<void(const nlmsghdr*)>& on_message, int retries = 0);

  // nfnetlink batch: msgs are wrapped in NFNL_MSG_BATCH_BEGIN/END for
  // subsystem `res_id` and sent in one sendmsg; the kernel applies all or
  // none. The failure of the first failing message is thrown. A non-zero
  // `genid` (NFNL_BATCH_GENID) makes the kernel refuse the whole batch with
  // ERESTART when the ruleset generation has moved on since it was read.
  void batch(std::vector<Message>& msgs, uint16_t res_id, const ReplyHandler& on_reply = {}, uint32_t genid = 0);

  // Event subscription: join multicast groups, then read without blocking
  // (every read passes MSG_DONTWAIT).
  void join_group(uint32_t group);
  // Reads one datagram; false when nothing is waiting (EAGAIN). Throws
  // SystemError(ENOBUFS) when the kernel dropped events.
  bool read_events(const std::function<void(const nlmsghdr*)>& on_message);

  std::mutex& mutex() { return mutex_; }

 private:
  Socket(int fd, int protocol, bool);
  uint32_t next_seq() { return ++seq_; }
  void send_all(std::vector<Message>& msgs, const Message* head, const Message* tail);
  // Sends msgs with ACKs requested and records every answer; the caller holds mutex_.
  void exchange(std::vector<Message>& msgs, const ReplyHandler& on_reply, std::vector<Outcome>* outcomes, bool ack_each = true);
  // Reads one datagram into buf_, sized with MSG_PEEK|MSG_TRUNC; returns its length
  // or 0 when `dontwait` and nothing is queued.
  size_t receive(bool dontwait);

  int fd_ = -1;
  int protocol_;
  int send_buffer_ = 0;
  uint32_t portid_ = 0;
  uint32_t seq_;
  std::vector<uint8_t> buf_;
  std::mutex mutex_;
};

}  // namespace netplumb::nl
