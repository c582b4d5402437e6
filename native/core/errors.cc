#include "core/errors.h"

#include <cerrno>
#include <cstring>

namespace netplumb {

NetlinkError::NetlinkError(int err, std::string op, std::string object, std::string extack,
                           int64_t offset)
    : std::runtime_error(describe(err, op, object, extack)),
      err(err),
      op(std::move(op)),
      object(std::move(object)),
      extack(std::move(extack)),
      extack_offset(offset) {}

std::string NetlinkError::describe(int err, const std::string& op, const std::string& object,
                                   const std::string& extack) {
  std::string m = op;
  if (!object.empty()) m += " " + object;
  m += ": ";
  m += std::strerror(err);
  m += " (";
  m += errno_name(err);
  m += ")";
  if (!extack.empty()) m += ": " + extack;
  return m;
}

SystemError::SystemError(int err, std::string syscall, std::string object)
    : std::runtime_error(syscall + (object.empty() ? "" : " " + object) + ": " +
                         std::strerror(err) + " (" + errno_name(err) + ")"),
      err(err),
      syscall(std::move(syscall)),
      object(std::move(object)) {}

DumpInterrupted::DumpInterrupted(std::string op, std::string object)
    : NetlinkError(EINTR, std::move(op), std::move(object),
                   "the dump changed while it was read (NLM_F_DUMP_INTR); read it again") {
  dump_interrupted = true;
}

const char* errno_name(int err) {
  switch (err) {
#define E(x) \
  case x:    \
    return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(EBADF) E(EAGAIN) E(ENOMEM)
    E(EACCES) E(EFAULT) E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL)
    E(ENFILE) E(EMFILE) E(ENOSPC) E(EROFS) E(EMLINK) E(ERANGE) E(ENAMETOOLONG) E(ENOSYS)
    E(ENOTEMPTY) E(ELOOP) E(ENOMSG) E(ENODATA) E(EPROTO) E(EBADMSG) E(EOVERFLOW) E(EMSGSIZE)
    E(EPROTONOSUPPORT) E(EOPNOTSUPP) E(EAFNOSUPPORT) E(EADDRINUSE) E(EADDRNOTAVAIL) E(ENETDOWN)
    E(ENETUNREACH) E(ECONNABORTED) E(ECONNRESET) E(ENOBUFS) E(EISCONN) E(ENOTCONN)
    E(ETIMEDOUT) E(ECONNREFUSED) E(EHOSTUNREACH) E(EALREADY) E(EINPROGRESS) E(ESTALE)
    E(EDQUOT) E(ECANCELED) E(ERESTART) E(ENOTTY) E(ETXTBSY) E(EFBIG) E(ESPIPE) E(EPIPE) E(ECHILD)
#undef E
    case 524:  // the kernel's internal ENOTSUPP leaks out of some nf_tables paths
      return "ENOTSUPP";
    default:
      return "EUNKNOWN";
  }
}

}  // namespace netplumb
