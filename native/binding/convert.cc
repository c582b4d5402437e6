#include "binding/convert.h"

#include <cmath>

#include "binding/netns_handle.h"
#include "core/errors.h"

namespace netplumb::binding {

namespace {

// A JS string's UTF-8 text: one call for the short strings arguments are made
// of (names, addresses, keys), where Utf8Value asks its length first.
std::string utf8(napi_env env, napi_value s) {
  char buf[128];
  size_t len = 0;
  NAPI_THROW_IF_FAILED(env, napi_get_value_string_utf8(env, s, buf, sizeof buf, &len), std::string());
  if (len < sizeof buf - 1) return std::string(buf, len);
  NAPI_THROW_IF_FAILED(env, napi_get_value_string_utf8(env, s, nullptr, 0, &len), std::string());
  std::string out(len, '\0');
  NAPI_THROW_IF_FAILED(env, napi_get_value_string_utf8(env, s, out.data(), len + 1, &len), std::string());
  return out;
}

}  // namespace

// Every call of a plan crosses here, member by member: each N-API call costs,
// so an object's own enumerable keys are listed without walking its
// prototypes, and typed arrays and arrays are told apart with one check each.
Value from_js(const Napi::Value& v, const char* what) {
  napi_env env = v.Env();
  switch (v.Type()) {
    case napi_undefined:
    case napi_null:
      return Value();
    case napi_boolean:
      return Value(v.As<Napi::Boolean>().Value());
    case napi_number: {
      double d = v.As<Napi::Number>().DoubleValue();
      if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9007199254740992.0)
        return Value(static_cast<int64_t>(d));
      return Value(d);
    }
    case napi_bigint: {
      bool lossless;
      int64_t i = v.As<Napi::BigInt>().Int64Value(&lossless);
      if (!lossless) {
        uint64_t u = v.As<Napi::BigInt>().Uint64Value(&lossless);
        if (!lossless) throw InvalidArgument(what, std::string(what) + " does not fit in 64 bits");
        return Value(static_cast<int64_t>(u));
      }
      return Value(i);
    }
    case napi_string:
      return Value(utf8(env, v));
    case napi_object: {
      if (v.IsArray()) {
        auto a = v.As<Napi::Array>();
        Array out;
        uint32_t n = a.Length();
        out.reserve(n);
        for (uint32_t i = 0; i < n; i++) out.push_back(from_js(a.Get(i), what));
        return Value(std::move(out));
      }
      // A Buffer is a Uint8Array: one check serves both.
      if (v.IsTypedArray()) {
        auto ta = v.As<Napi::Uint8Array>();
        return Value(Bytes(ta.Data(), ta.Data() + ta.ByteLength()));
      }
      napi_value keys;
      NAPI_THROW_IF_FAILED(env,
                           napi_get_all_property_names(env, v, napi_key_own_only,
                                                       static_cast<napi_key_filter>(napi_key_enumerable | napi_key_skip_symbols),
                                                       napi_key_numbers_to_strings, &keys),
                           Value());
      uint32_t n = 0;
      NAPI_THROW_IF_FAILED(env, napi_get_array_length(env, keys, &n), Value());
      // A namespace handle has no enumerable members of its own: only then is
      // the (costly) class check needed, not for each of thousands of plain objects.
      if (n == 0)
        if (NetnsRef ns = NetnsHandle::unwrap(v.As<Napi::Object>())) return Value(ns);
      Object out;
      // Reading each member by the key value it was listed with spares making a JS string
      // back from the C++ one: bulk arguments (rtnl.apply, nft.apply) hold thousands of objects.
      for (uint32_t i = 0; i < n; i++) {
        napi_value key, member;
        NAPI_THROW_IF_FAILED(env, napi_get_element(env, keys, i, &key), Value());
        NAPI_THROW_IF_FAILED(env, napi_get_property(env, v, key, &member), Value());
        std::string k = utf8(env, key);
        Value converted = from_js(Napi::Value(env, member), k.c_str());
        out.emplace_hint(out.end(), std::move(k), std::move(converted));
      }
      return Value(std::move(out));
    }
    default:
      throw InvalidArgument(what, std::string(what) + " has a type that cannot be sent to the kernel");
  }
}

Napi::Value to_js(Napi::Env env, const Value& v) {
  struct Visitor {
    Napi::Env env;
    Napi::Value operator()(std::monostate) const { return env.Null(); }
    Napi::Value operator()(bool b) const { return Napi::Boolean::New(env, b); }
    Napi::Value operator()(int64_t i) const {
      if (i > 9007199254740991LL || i < -9007199254740991LL) return Napi::BigInt::New(env, i);
      return Napi::Number::New(env, static_cast<double>(i));
    }
    Napi::Value operator()(double d) const { return Napi::Number::New(env, d); }
    Napi::Value operator()(const std::string& s) const { return Napi::String::New(env, s); }
    Napi::Value operator()(const Bytes& b) const { return Napi::Buffer<uint8_t>::Copy(env, b.data(), b.size()); }
    Napi::Value operator()(const Array& a) const {
      Napi::Array out = Napi::Array::New(env, a.size());
      for (size_t i = 0; i < a.size(); i++) out.Set(static_cast<uint32_t>(i), to_js(env, a[i]));
      return out;
    }
    Napi::Value operator()(const Object& o) const {
      Napi::Object out = Napi::Object::New(env);
      for (auto& [k, val] : o) out.Set(k, to_js(env, val));
      return out;
    }
    Napi::Value operator()(const NetnsRef& n) const { return NetnsHandle::wrap(env, n); }
  };
  return std::visit(Visitor{env}, v.v);
}

}  // namespace netplumb::binding
