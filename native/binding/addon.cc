// Module entry: defines the classes and functions the TS layer loads.
#include <napi.h>

#include "binding/addon_data.h"
#include "binding/event_watch.h"
#include "binding/exec.h"
#include "binding/netns_handle.h"
#include "binding/one_shot_server.h"
#include "core/netns/netns.h"

namespace netplumb::binding {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());
  NetnsHandle::define(env, exports);
  EventWatch::define(env, exports);
  OneShotServer::define(env, exports);
  define_exec(env, exports);
  exports.Set("processNetns", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return NetnsHandle::wrap(info.Env(), Netns::process());
              }));
  return exports;
}

NODE_API_MODULE(netplumb, init)

}  // namespace netplumb::binding
