// What every rtnetlink decoder (links, addresses, routes, neighbours) starts
// with, and the tables that name kernel constants as the API spells them.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>

#include "core/netlink/attrs.h"
#include "core/value.h"

namespace netplumb::rtnl {

// A kernel constant (a flag bit or an enum value) and its name.
struct Named {
  uint32_t value;
  const char* name;
};

// Checks that `h` carries a whole family header of `header_size` bytes
// (`header_name` in the error) and starts the decoded object:
// {kind, action: "del" when h is `del_type`, else "new"}.
Value begin_object(const nlmsghdr* h, size_t header_size, const char* header_name, const char* kind,
                   uint16_t del_type);

// A message being decoded: the object so far, its family header, its attributes.
template <typename Header>
struct Parsing {
  Value v;
  const Header* hdr;
  nl::Attrs attrs;
};

template <typename Header>
Parsing<Header> begin_parse(const nlmsghdr* h, const char* header_name, const char* kind, uint16_t del_type) {
  Value v = begin_object(h, sizeof(Header), header_name, kind, del_type);
  return {std::move(v), static_cast<const Header*>(NLMSG_DATA(h)), nl::Attrs::of_message(h, sizeof(Header))};
}

// {name: whether the bit is set} for every bit in `table`.
template <size_t N>
Value flag_object(uint32_t bits, const Named (&table)[N]) {
  Value out{Object{}};
  for (const Named& n : table) out.set(n.name, (bits & n.value) != 0);
  return out;
}

// The names of the bits set, in table order.
template <size_t N>
Array flag_names(uint32_t bits, const Named (&table)[N]) {
  Array out;
  for (const Named& n : table)
    if (bits & n.value) out.push_back(Value(n.name));
  return out;
}

}  // namespace netplumb::rtnl
