// Event boundaries, for crash tests: every trip to the kernel (a netlink
// sendmsg, a namespace mount or unmount) passes one. Off unless
// NETPLUMB_BOUNDARY_LOG names a file; then each boundary appends one record
// of kBoundaryRecord bytes to it (the TypeScript side appends its own, state
// writes, to the same file, so the count is shared), and when the count
// reaches NETPLUMB_KILL_AT the process kills itself with SIGKILL, as a crash
// at that instant would.
#pragma once

#include <cstddef>

namespace netplumb {

constexpr size_t kBoundaryRecord = 64;

// Whether boundaries are logged at all (callers skip building `what` when not).
bool boundaries_enabled();
// `what` names the boundary in the log ("send RTM_NEWLINK veth0").
void boundary(const char* what);

}  // namespace netplumb
