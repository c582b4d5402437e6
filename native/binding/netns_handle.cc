#include "binding/netns_handle.h"

#include "binding/addon_data.h"
#include "core/netns/netns.h"

namespace netplumb::binding {

void NetnsHandle::define(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "NetnsHandle",
                                    {InstanceMethod("close", &NetnsHandle::close),
                                     InstanceAccessor("closed", &NetnsHandle::closed, nullptr),
                                     InstanceAccessor("label", &NetnsHandle::label, nullptr),
                                     InstanceAccessor("inode", &NetnsHandle::inode, nullptr),
                                     InstanceAccessor("fd", &NetnsHandle::fd, nullptr)});
  AddonData::of(env).netns_ctor = Napi::Persistent(ctor);
  exports.Set("NetnsHandle", ctor);
}

NetnsHandle::NetnsHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetnsHandle>(info) {
  // Constructed only by wrap(), which passes the namespace through an External.
  if (info.Length() == 1 && info[0].IsExternal())
    ns_ = *info[0].As<Napi::External<NetnsRef>>().Data();
  else
    Napi::TypeError::New(info.Env(), "NetnsHandle is made by netplumb, not by new").ThrowAsJavaScriptException();
}

Napi::Object NetnsHandle::wrap(Napi::Env env, const NetnsRef& ns) {
  NetnsRef copy = ns;
  auto ext = Napi::External<NetnsRef>::New(env, &copy);
  return AddonData::of(env).netns_ctor.New({ext});
}

NetnsRef NetnsHandle::unwrap(const Napi::Object& o) {
  Napi::Env env = o.Env();
  if (!o.InstanceOf(AddonData::of(env).netns_ctor.Value())) return nullptr;
  return NetnsHandle::Unwrap(o)->ns_;
}

Napi::Value NetnsHandle::close(const Napi::CallbackInfo& info) {
  // Sockets and the fd go now; plans still running hold their own reference.
  ns_->close();
  return info.Env().Undefined();
}
Napi::Value NetnsHandle::closed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), ns_->closed());
}
Napi::Value NetnsHandle::label(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), ns_->label());
}
Napi::Value NetnsHandle::inode(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(ns_->inode()));
}
Napi::Value NetnsHandle::fd(const Napi::CallbackInfo& info) {
  return ns_->closed() ? info.Env().Null() : Napi::Number::New(info.Env(), ns_->fd());
}

}  // namespace netplumb::binding
