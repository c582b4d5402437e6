// Failures the core reports. The binding turns each into a typed JS error.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace netplumb {

// The kernel refused a netlink request.
struct NetlinkError : std::runtime_error {
  int err;              // positive errno
  std::string op;       // RTM_NEWLINK, NFT_MSG_NEWRULE, ...
  std::string object;   // what the request was about: "veth0", "table inet netplumb"
  std::string extack;   // the kernel's extended-ACK message, if any
  int64_t extack_offset = -1;  // offset of the offending attribute in the request
  bool dump_interrupted = false;

  NetlinkError(int err, std::string op, std::string object, std::string extack = {},
               int64_t offset = -1);
  static std::string describe(int err, const std::string& op, const std::string& object,
                              const std::string& extack);
};

// A system call outside netlink failed (open, mount, setns, ...).
struct SystemError : std::runtime_error {
  int err;
  std::string syscall;
  std::string object;
  SystemError(int err, std::string syscall, std::string object);
};

// Input that cannot be sent to the kernel at all.
struct InvalidArgument : std::runtime_error {
  std::string field;
  InvalidArgument(std::string field, const std::string& message)
      : std::runtime_error(message), field(std::move(field)) {}
};

// The dump changed while it was read (NLM_F_DUMP_INTR).
struct DumpInterrupted : NetlinkError {
  DumpInterrupted(std::string op, std::string object);
};

// A worker thread could not return to its home namespace; it must stop.
struct ThreadPoisoned : std::runtime_error {
  explicit ThreadPoisoned(const std::string& why) : std::runtime_error(why) {}
};

const char* errno_name(int err);  // "EEXIST" for EEXIST, "E123" when unknown

}  // namespace netplumb
