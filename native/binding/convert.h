// Napi values to core Values and back. Namespace handles cross as NetnsHandle objects.
#pragma once

#include <napi.h>

#include "core/value.h"

namespace netplumb::binding {

Value from_js(const Napi::Value& v, const char* what = "argument");
Napi::Value to_js(Napi::Env env, const Value& v);

}  // namespace netplumb::binding
