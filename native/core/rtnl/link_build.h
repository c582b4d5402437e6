// RTM_NEWLINK / RTM_GETLINK / RTM_DELLINK requests for links: creation per
// kind (veth, bridge, dummy, vxlan, macvlan, ipvlan, vlan) and changes to an
// existing link.
// Builders only; the ops in link_ops.cc decide what to send and what to undo.
#pragma once

#include <linux/if_link.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "core/netlink/message.h"
#include "core/netlink/socket.h"
#include "core/value.h"

namespace netplumb::rtnl {

// Which link a call is about: args.index, or args.name (index 0).
struct LinkTarget {
  int index = 0;
  std::string name;
  std::string label() const { return name.empty() ? "ifindex " + std::to_string(index) : name; }
};
LinkTarget target_of(const Value& args);

// A request addressed to one link: by ifindex, or by name when `index` is 0
// (the kernel then looks the name up itself, which saves a trip).
nl::Message link_request(uint16_t type, uint16_t flags, int index, const std::string& name,
                         const char* op, uint8_t family = AF_UNSPEC);

// RTM_NEWLINK that creates the link described by link.add arguments, with
// NLM_F_ECHO so that the kernel answers with the new link (and its ifindex).
// Names in master/dev/parent are resolved on `sock`. A veth peer is created
// in peer.netns under its final name by the same request; any other kind
// goes to args.netns when given (its parent stays where `sock` is).
nl::Message create_request(nl::Socket& sock, const Value& args);

// Sets or clears IFF_UP.
nl::Message up_request(int index, const std::string& name, bool up);

// Adds what the kernel ignores in a create request (IFLA_IFALIAS, and the
// IPv6 address generation mode, which must be set before the link goes up);
// returns false when `args` asks for neither.
bool put_post_create(nl::Message& m, const Value& args);

// Adds IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE } }.
void put_addr_gen_mode(nl::Message& m, const std::string& mode);

// RTM_GETLINK for one link, stats included.
nl::Message get_request(int index, const std::string& name);

// 'eui64' | 'none' | 'stable' | 'random' → IN6_ADDR_GEN_MODE_*; throws InvalidArgument.
uint8_t addr_gen_mode_of(const std::string& mode);

// An integer argument within [min, max]; throws InvalidArgument naming `key`.
int64_t int_arg(const Value& args, const char* key, int64_t min, int64_t max);

}  // namespace netplumb::rtnl
