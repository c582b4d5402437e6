// Per-environment state of the addon (constructors kept alive, the channel
// that brings finished work back to the JS thread).
#pragma once

#include <napi.h>

namespace netplumb::binding {

struct AddonData {
  Napi::FunctionReference netns_ctor;
  Napi::ThreadSafeFunction completions;
  size_t pending = 0;  // jobs in flight; while > 0 the channel keeps the loop alive

  static AddonData& of(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }
};

}  // namespace netplumb::binding
