#include "core/rtnl/addr_build.h"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "core/errors.h"
#include "core/rtnl/addr_parse.h"

namespace netplumb::rtnl {

namespace {

const struct {
  const char* name;
  uint32_t bit;
} kSettableFlags[] = {
    {"nodad", IFA_F_NODAD},
    {"noprefixroute", IFA_F_NOPREFIXROUTE},
    {"homeAddress", IFA_F_HOMEADDRESS},
    {"managetempaddr", IFA_F_MANAGETEMPADDR},
};

uint32_t lifetime_of(const Value& v, const char* field) {
  if (v.is_string() && v.as_string() == "forever") return 0xFFFFFFFFu;
  int64_t n = v.as_int(field);
  if (n < 0 || n > 0xFFFFFFFFLL) throw InvalidArgument(field, std::string(field) + " must be 0-4294967295 seconds or 'forever'");
  return static_cast<uint32_t>(n);
}

// Like `ip addr add ... brd +`: all host bits set. None for /31 and /32,
// which have no broadcast address.
std::optional<IpBytes> computed_broadcast(const Prefix& p) {
  if (p.ip.family != AF_INET || p.length >= 31) return std::nullopt;
  IpBytes b = p.ip;
  for (int bit = p.length; bit < 32; bit++) b.bytes[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
  return b;
}

uint8_t default_scope(const Prefix& p) {
  // As iproute2 does: loopback addresses are host-scoped.
  if (p.ip.family == AF_INET && p.ip.bytes[0] == 127) return RT_SCOPE_HOST;
  return RT_SCOPE_UNIVERSE;
}

}  // namespace

std::string AddrSpec::describe() const {
  return format_ip(local.ip.family, local.ip.bytes) + "/" + std::to_string(local.length) + " on ifindex " +
         std::to_string(ifindex);
}

AddrSpec addr_spec_from_args(const Value& args, int ifindex) {
  AddrSpec s;
  s.ifindex = ifindex;
  s.local = parse_prefix(args.str("address"), "address");
  int af = s.local.ip.family;
  if (args.has("peer")) {
    s.peer = parse_prefix(args.str("peer"), "peer", true).ip;
    if (s.peer->family != af) throw InvalidArgument("peer", "peer must be of the same family as address");
  }
  const Value& brd = args["broadcast"];
  if (brd.is_bool()) {
    if (brd.as_bool()) {
      if (af != AF_INET) throw InvalidArgument("broadcast", "broadcast addresses exist for IPv4 only");
      s.broadcast = computed_broadcast(s.local);
    }
  } else if (!brd.is_null()) {
    s.broadcast = parse_ip(brd.as_string("broadcast"), "broadcast");
    if (s.broadcast->family != AF_INET) throw InvalidArgument("broadcast", "broadcast must be an IPv4 address");
    if (af != AF_INET) throw InvalidArgument("broadcast", "broadcast addresses exist for IPv4 only");
  }
  s.scope = args.has("scope") ? scope_value(args["scope"], "scope") : default_scope(s.local);
  if (args.has("label")) {
    s.label = args.str("label");
    if (s.label.empty() || s.label.size() >= IFNAMSIZ || s.label.find('\0') != std::string::npos)
      throw InvalidArgument("label", "label must be 1-15 bytes");
    if (af != AF_INET) throw InvalidArgument("label", "labels exist for IPv4 addresses only");
  }
  if (args.has("flags")) {
    const Value& f = args["flags"];
    f.as_object("flags");
    for (const auto& sf : kSettableFlags)
      if (f.bool_or(sf.name, false)) s.flags |= sf.bit;
  }
  if (args.has("validLifetime")) s.valid_lifetime = lifetime_of(args["validLifetime"], "validLifetime");
  if (args.has("preferredLifetime"))
    s.preferred_lifetime = lifetime_of(args["preferredLifetime"], "preferredLifetime");
  return s;
}

AddrSpec addr_spec_from_parsed(const Value& a) {
  AddrSpec s;
  s.ifindex = static_cast<int>(a.integer("index"));
  s.local.ip = parse_ip(a.str("address"), "address");
  s.local.length = static_cast<int>(a.integer("prefixLength"));
  if (a.has("peer")) s.peer = parse_ip(a.str("peer"), "peer");
  if (a.has("broadcast")) s.broadcast = parse_ip(a.str("broadcast"), "broadcast");
  s.scope = scope_value(a["scope"], "scope");
  if (a.has("label")) s.label = a.str("label");
  for (const auto& sf : kSettableFlags)
    if (a["flags"].bool_or(sf.name, false)) s.flags |= sf.bit;
  return s;
}

nl::Message build_newaddr(const AddrSpec& s, uint16_t nlflags) {
  nl::Message m(RTM_NEWADDR, nlflags, "RTM_NEWADDR", s.describe());
  ifaddrmsg ifa{};
  ifa.ifa_family = static_cast<uint8_t>(s.local.ip.family);
  ifa.ifa_prefixlen = static_cast<uint8_t>(s.local.length);
  ifa.ifa_flags = static_cast<uint8_t>(s.flags & 0xff);
  ifa.ifa_scope = s.scope;
  ifa.ifa_index = static_cast<uint32_t>(s.ifindex);
  m.put_header(ifa);
  m.put_bytes(IFA_LOCAL, s.local.ip.bytes);
  m.put_bytes(IFA_ADDRESS, s.peer ? s.peer->bytes : s.local.ip.bytes);
  if (s.broadcast) m.put_bytes(IFA_BROADCAST, s.broadcast->bytes);
  if (!s.label.empty()) m.put_str(IFA_LABEL, s.label);
  if (s.flags > 0xff) m.put_u32(IFA_FLAGS, s.flags);
  if (s.valid_lifetime || s.preferred_lifetime) {
    ifa_cacheinfo ci{};
    ci.ifa_valid = s.valid_lifetime.value_or(0xFFFFFFFFu);
    ci.ifa_prefered = s.preferred_lifetime.value_or(ci.ifa_valid);
    m.put(IFA_CACHEINFO, &ci, sizeof ci);
  }
  return m;
}

nl::Message build_deladdr(int ifindex, const Prefix& p) {
  nl::Message m(RTM_DELADDR, 0, "RTM_DELADDR",
                format_ip(p.ip.family, p.ip.bytes) + "/" + std::to_string(p.length) + " on ifindex " +
                    std::to_string(ifindex));
  ifaddrmsg ifa{};
  ifa.ifa_family = static_cast<uint8_t>(p.ip.family);
  ifa.ifa_prefixlen = static_cast<uint8_t>(p.length);
  ifa.ifa_index = static_cast<uint32_t>(ifindex);
  m.put_header(ifa);
  m.put_bytes(IFA_LOCAL, p.ip.bytes);
  return m;
}

}  // namespace netplumb::rtnl
