// The JS object that holds a core Netns: passed back into plans as an argument.
#pragma once

#include <napi.h>

#include "core/value.h"

namespace netplumb::binding {

class NetnsHandle : public Napi::ObjectWrap<NetnsHandle> {
 public:
  static void define(Napi::Env env, Napi::Object exports);
  static Napi::Object wrap(Napi::Env env, const NetnsRef& ns);
  // The namespace behind `o`, or null when `o` is not a NetnsHandle.
  static NetnsRef unwrap(const Napi::Object& o);

  explicit NetnsHandle(const Napi::CallbackInfo& info);

 private:
  Napi::Value close(const Napi::CallbackInfo& info);
  Napi::Value closed(const Napi::CallbackInfo& info);
  Napi::Value label(const Napi::CallbackInfo& info);
  Napi::Value inode(const Napi::CallbackInfo& info);
  Napi::Value fd(const Napi::CallbackInfo& info);

  NetnsRef ns_;
};

}  // namespace netplumb::binding
