// The ruleset generation: a counter the kernel bumps on every committed
// nf_tables transaction in the namespace.
#pragma once

#include <cstdint>

#include "core/netlink/socket.h"

namespace netplumb::nft {

uint32_t read_genid(nl::Socket& sock);

}  // namespace netplumb::nft
