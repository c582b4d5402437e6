// exec(netns, calls): runs a plan on a worker thread and settles a Promise.
#pragma once

#include <napi.h>

#include <functional>

#include "core/value.h"

namespace netplumb::binding {

void define_exec(Napi::Env env, Napi::Object exports);

// Runs `work` on a worker thread; its Value result (or failure) settles the
// returned Promise on the JS thread.
Napi::Promise run_async(Napi::Env env, std::function<Value()> work);

}  // namespace netplumb::binding
