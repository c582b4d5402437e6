#include "core/nft/expr.h"

#include <map>
#include <string>

#include "core/errors.h"

namespace netplumb::nft {

namespace {

std::map<std::string, const ExprSpec*>& registry() {
  static std::map<std::string, const ExprSpec*> r;
  return r;
}

void put_field(nl::Message& m, const FieldSpec& f, const Value& v, const std::string& where) {
  std::string field = where + "." + f.name;
  switch (f.kind) {
    case Kind::U8:
      m.put_u8(f.attr, static_cast<uint8_t>(v.as_int(field.c_str())));
      break;
    case Kind::Be32:
      m.put_be32(f.attr, static_cast<uint32_t>(v.as_int(field.c_str())));
      break;
    case Kind::Be64:
      m.put_be64(f.attr, static_cast<uint64_t>(v.as_int(field.c_str())));
      break;
    case Kind::Str:
      m.put_str(f.attr, v.as_string(field.c_str()));
      break;
    case Kind::Data:
      put_data(m, f.attr, v, field.c_str());
      break;
    case Kind::Enum:
      m.put_be32(f.attr, enum_value_in(v, f.names, f.n_names, field.c_str()));
      break;
  }
}

Value get_field(const FieldSpec& f, const nl::Attr& a) {
  switch (f.kind) {
    case Kind::U8:
      return Value(static_cast<int64_t>(a.u8()));
    case Kind::Be32:
      return Value(static_cast<int64_t>(a.be32()));
    case Kind::Be64:
      return Value(static_cast<int64_t>(a.be64()));
    case Kind::Str:
      return Value(a.str());
    case Kind::Data:
      return get_data(a);
    case Kind::Enum:
      return enum_name_in(a.be32(), f.names, f.n_names);
  }
  return Value();
}

}  // namespace

void register_expr(const ExprSpec* spec) { registry()[spec->name] = spec; }

void put_exprs(nl::Message& m, uint16_t attr, const Value& exprs) {
  size_t list = m.begin_nest(attr);
  const Array& items = exprs.as_array("exprs");
  for (size_t i = 0; i < items.size(); i++) {
    const Value& e = items[i];
    std::string where = "exprs[" + std::to_string(i) + "]";
    const std::string& type = e.str("type");
    auto it = registry().find(type);
    if (it == registry().end()) throw InvalidArgument(where, where + ": unknown expression '" + type + "'");
    for (const auto& [key, _] : e.as_object(where.c_str())) {
      if (key == "type") continue;
      bool known = false;
      for (const FieldSpec& f : it->second->fields) known = known || key == f.name;
      if (!known) throw InvalidArgument(where, where + ": " + type + " has no field '" + key + "'");
    }
    size_t elem = m.begin_nest(NFTA_LIST_ELEM);
    m.put_str(NFTA_EXPR_NAME, type);
    size_t data = m.begin_nest(NFTA_EXPR_DATA);
    for (const FieldSpec& f : it->second->fields)
      if (e.has(f.name)) put_field(m, f, e[f.name], where);
    m.end_nest(data);
    m.end_nest(elem);
  }
  m.end_nest(list);
}

Value get_exprs(const nl::Attr& list) {
  Array out;
  for (nl::Attr elem : list.nested()) {
    nl::Attrs e = elem.nested();
    auto name = e.get(NFTA_EXPR_NAME);
    if (!name) continue;
    Value v{Object{}};
    v.set("type", name->str());
    auto it = registry().find(name->str());
    auto data = e.get(NFTA_EXPR_DATA);
    if (it == registry().end()) {
      v.set("unknown", true);
      if (data) v.set("raw", data->bytes());
    } else if (data) {
      nl::Attrs fields = data->nested();
      for (const FieldSpec& f : it->second->fields)
        if (auto a = fields.get(f.attr)) v.set(f.name, get_field(f, *a));
    }
    out.push_back(std::move(v));
  }
  return Value(std::move(out));
}

}  // namespace netplumb::nft
