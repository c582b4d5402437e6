#include "core/value.h"

#include "core/errors.h"

namespace netplumb {

namespace {
const Value& null_value() {
  static const Value v;
  return v;
}
[[noreturn]] void wrong(const char* what, const char* expected) {
  throw InvalidArgument(what, std::string(what) + " must be " + expected);
}
}  // namespace

bool Value::as_bool(const char* what) const {
  if (auto p = std::get_if<bool>(&v)) return *p;
  wrong(what, "a boolean");
}
int64_t Value::as_int(const char* what) const {
  if (auto p = std::get_if<int64_t>(&v)) return *p;
  if (auto d = std::get_if<double>(&v)) {
    if (static_cast<double>(static_cast<int64_t>(*d)) == *d) return static_cast<int64_t>(*d);
  }
  wrong(what, "an integer");
}
double Value::as_double(const char* what) const {
  if (auto p = std::get_if<double>(&v)) return *p;
  if (auto p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
  wrong(what, "a number");
}
const std::string& Value::as_string(const char* what) const {
  if (auto p = std::get_if<std::string>(&v)) return *p;
  wrong(what, "a string");
}
const Bytes& Value::as_bytes(const char* what) const {
  if (auto p = std::get_if<Bytes>(&v)) return *p;
  wrong(what, "a byte buffer");
}
const Array& Value::as_array(const char* what) const {
  if (auto p = std::get_if<Array>(&v)) return *p;
  wrong(what, "an array");
}
const Object& Value::as_object(const char* what) const {
  if (auto p = std::get_if<Object>(&v)) return *p;
  wrong(what, "an object");
}
Array& Value::as_array_mut() {
  if (!is_array()) v = Array{};
  return std::get<Array>(v);
}
Object& Value::as_object_mut() {
  if (!is_object()) v = Object{};
  return std::get<Object>(v);
}
const NetnsRef& Value::as_netns(const char* what) const {
  if (auto p = std::get_if<NetnsRef>(&v)) return *p;
  wrong(what, "a network namespace handle");
}

const Value& Value::operator[](const std::string& key) const {
  auto p = std::get_if<Object>(&v);
  if (!p) return null_value();
  auto it = p->find(key);
  return it == p->end() ? null_value() : it->second;
}
bool Value::has(const std::string& key) const { return !(*this)[key].is_null(); }
Value& Value::set(const std::string& key, Value val) {
  auto& o = as_object_mut();
  o[key] = std::move(val);
  return o[key];
}
int64_t Value::int_or(const std::string& key, int64_t dflt) const {
  const Value& m = (*this)[key];
  return m.is_null() ? dflt : m.as_int(key.c_str());
}
bool Value::bool_or(const std::string& key, bool dflt) const {
  const Value& m = (*this)[key];
  return m.is_null() ? dflt : m.as_bool(key.c_str());
}
std::string Value::str_or(const std::string& key, const std::string& dflt) const {
  const Value& m = (*this)[key];
  return m.is_null() ? dflt : m.as_string(key.c_str());
}
const std::string& Value::str(const std::string& key) const {
  const Value& m = (*this)[key];
  if (m.is_null()) throw InvalidArgument(key, key + " is required");
  return m.as_string(key.c_str());
}
int64_t Value::integer(const std::string& key) const {
  const Value& m = (*this)[key];
  if (m.is_null()) throw InvalidArgument(key, key + " is required");
  return m.as_int(key.c_str());
}

}  // namespace netplumb
