// JSON text to a Value. Bulk arguments (thousands of routes, neighbours and
// FDB entries for rtnl.apply) cross from JavaScript as one JSON string: V8's
// JSON.stringify and this parse cost a fraction of converting each object
// member by member through N-API.
#pragma once

#include <string_view>

#include "core/value.h"

namespace netplumb {

// Objects, arrays, strings (escapes and \u surrogate pairs to UTF-8), numbers
// (integral ones as int64, others as double), true, false, null. Throws
// InvalidArgument naming `what` and the offset for anything else.
Value parse_json(std::string_view text, const char* what);

}  // namespace netplumb
