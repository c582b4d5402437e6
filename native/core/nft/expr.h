// Expressions are described, not hand-coded: each family file declares which
// attribute carries which field and how it is typed, and one encoder and one
// decoder serve them all. An expression in the Value model is
// {type: "payload", base: "network", offset: 16, len: 4, dreg: 1}: field names
// are the attribute names in lower camel case, enums by name.
#pragma once

#include <cstdint>
#include <vector>

#include "core/registry_macros.h"
#include "core/nft/common.h"

namespace netplumb::nft {

enum class Kind {
  U8,    // NLA_U8
  Be32,  // registers, lengths, offsets, flags
  Be64,  // counters
  Str,   // set names
  Data,  // nft_data: bytes, or a verdict object
  Enum,  // be32 with names (cmp op, meta key, ...)
};

struct FieldSpec {
  const char* name;
  uint16_t attr;
  Kind kind;
  const EnumName* names = nullptr;  // for Kind::Enum
  size_t n_names = 0;
};

struct ExprSpec {
  const char* name;  // the kernel's expression name: "payload", "cmp", ...
  std::vector<FieldSpec> fields;
};

template <size_t N>
FieldSpec enum_field(const char* name, uint16_t attr, const EnumName (&names)[N]) {
  return FieldSpec{name, attr, Kind::Enum, names, N};
}

void register_expr(const ExprSpec* spec);

// NFTA_RULE_EXPRESSIONS (or any list of expressions) from an array of expression objects.
void put_exprs(nl::Message& m, uint16_t attr, const Value& exprs);
// Decodes a list of expressions; unknown ones come back as {type, unknown: true}.
Value get_exprs(const nl::Attr& list);

}  // namespace netplumb::nft

#define NETPLUMB_NFT_EXPR(spec) \
  static const bool NETPLUMB_CAT(netplumb_nft_expr_, __LINE__) = (::netplumb::nft::register_expr(&spec), true)
