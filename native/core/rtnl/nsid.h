// Namespace ids (RTM_GETNSID / RTM_NEWNSID): the number a namespace knows
// another one by. Asking for a peer by id takes a reference on it only while
// it is still referenced by someone, so the answer says whether a namespace
// is alive: the kernel has no other way of telling whether anyone else holds it.
#pragma once

#include "core/netlink/socket.h"

namespace netplumb::rtnl {

// The id under which the socket's namespace knows the namespace open at
// `fd`, assigning one first when it has none.
int nsid_of(nl::Socket& sock, int fd);

// Whether the namespace known by `nsid` is still referenced by anyone (a
// process in it, an open file, a socket, a mount). One whose last reference
// went is not, even while the kernel is still taking it apart.
bool nsid_alive(nl::Socket& sock, int nsid);

}  // namespace netplumb::rtnl
