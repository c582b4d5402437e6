// Core failures as JS Error objects with fields the TS layer turns into typed
// error classes (kind, errno, code, op, object, extack, ...).
#pragma once

#include <napi.h>

#include <exception>

namespace netplumb::binding {

Napi::Error error_to_js(Napi::Env env, std::exception_ptr e);

}  // namespace netplumb::binding
