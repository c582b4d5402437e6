// A small value tree that carries operation arguments and results between the
// binding and the core, so that the core never sees a Node type.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace netplumb {

class Netns;
struct Value;
using Bytes = std::vector<uint8_t>;
using Array = std::vector<Value>;
using Object = std::map<std::string, Value>;
using NetnsRef = std::shared_ptr<Netns>;

struct Value {
  using Storage = std::variant<std::monostate, bool, int64_t, double, std::string,
                               Bytes, Array, Object, NetnsRef>;
  Storage v;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : v(b) {}
  Value(int i) : v(int64_t{i}) {}
  Value(unsigned u) : v(int64_t{u}) {}
  Value(long i) : v(int64_t{i}) {}
  Value(unsigned long u) : v(static_cast<int64_t>(u)) {}
  Value(long long i) : v(int64_t{i}) {}
  Value(unsigned long long u) : v(static_cast<int64_t>(u)) {}
  Value(double d) : v(d) {}
  Value(const char* s) : v(std::string(s)) {}
  Value(std::string s) : v(std::move(s)) {}
  Value(Bytes b) : v(std::move(b)) {}
  Value(Array a) : v(std::move(a)) {}
  Value(Object o) : v(std::move(o)) {}
  Value(NetnsRef n) : v(std::move(n)) {}

  bool is_null() const { return std::holds_alternative<std::monostate>(v); }
  bool is_bool() const { return std::holds_alternative<bool>(v); }
  bool is_int() const { return std::holds_alternative<int64_t>(v); }
  bool is_number() const { return is_int() || std::holds_alternative<double>(v); }
  bool is_string() const { return std::holds_alternative<std::string>(v); }
  bool is_bytes() const { return std::holds_alternative<Bytes>(v); }
  bool is_array() const { return std::holds_alternative<Array>(v); }
  bool is_object() const { return std::holds_alternative<Object>(v); }
  bool is_netns() const { return std::holds_alternative<NetnsRef>(v); }

  // Typed reads throw InvalidArgument naming `what` when the type is wrong.
  bool as_bool(const char* what = "value") const;
  int64_t as_int(const char* what = "value") const;
  double as_double(const char* what = "value") const;
  const std::string& as_string(const char* what = "value") const;
  const Bytes& as_bytes(const char* what = "value") const;
  const Array& as_array(const char* what = "value") const;
  const Object& as_object(const char* what = "value") const;
  Array& as_array_mut();
  Object& as_object_mut();
  const NetnsRef& as_netns(const char* what = "value") const;

  // Object member access; a missing member reads as null.
  const Value& operator[](const std::string& key) const;
  bool has(const std::string& key) const;  // present and not null
  Value& set(const std::string& key, Value val);

  // Convenience for optional members: the member's value or a default.
  int64_t int_or(const std::string& key, int64_t dflt) const;
  bool bool_or(const std::string& key, bool dflt) const;
  std::string str_or(const std::string& key, const std::string& dflt) const;
  const std::string& str(const std::string& key) const;  // required string
  int64_t integer(const std::string& key) const;         // required integer
};

}  // namespace netplumb
