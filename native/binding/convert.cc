#include "binding/convert.h"

#include <cmath>

#include "binding/netns_handle.h"
#include "core/errors.h"

namespace netplumb::binding {

Value from_js(const Napi::Value& v, const char* what) {
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
      return Value(v.As<Napi::String>().Utf8Value());
    case napi_object: {
      if (v.IsBuffer() || v.IsTypedArray()) {
        auto ta = v.As<Napi::Uint8Array>();
        return Value(Bytes(ta.Data(), ta.Data() + ta.ByteLength()));
      }
      if (v.IsArray()) {
        auto a = v.As<Napi::Array>();
        Array out;
        out.reserve(a.Length());
        for (uint32_t i = 0; i < a.Length(); i++) out.push_back(from_js(a.Get(i), what));
        return Value(std::move(out));
      }
      Napi::Object o = v.As<Napi::Object>();
      Napi::Array keys = o.GetPropertyNames();
      // A namespace handle has no enumerable members of its own: only then is
      // the (costly) class check needed, not for each of thousands of plain objects.
      if (keys.Length() == 0)
        if (NetnsRef ns = NetnsHandle::unwrap(o)) return Value(ns);
      Object out;
      // Reading each member by the key value it was listed with spares making a JS string
      // back from the C++ one: bulk arguments (rtnl.apply, nft.apply) hold thousands of objects.
      for (uint32_t i = 0, n = keys.Length(); i < n; i++) {
        Napi::Value key = keys.Get(i);
        std::string k = key.As<Napi::String>().Utf8Value();
        Value member = from_js(o.Get(key), k.c_str());
        out.emplace_hint(out.end(), std::move(k), std::move(member));
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
