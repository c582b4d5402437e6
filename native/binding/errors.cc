#include "binding/errors.h"

#include "core/errors.h"
#include "core/exec/ops.h"

namespace netplumb::binding {

namespace {
Napi::Error make(Napi::Env env, const char* kind, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("kind", kind);
  return err;
}

Napi::Error convert(Napi::Env env, std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const PlanFailure& f) {
    Napi::Error err = convert(env, f.cause);
    err.Set("planIndex", Napi::Number::New(env, static_cast<double>(f.index)));
    Napi::Array undo = Napi::Array::New(env, f.undo_failures.size());
    for (size_t i = 0; i < f.undo_failures.size(); i++) undo.Set(static_cast<uint32_t>(i), f.undo_failures[i]);
    err.Set("undoFailures", undo);
    return err;
  } catch (const NetlinkError& n) {
    Napi::Error err = make(env, n.dump_interrupted ? "DumpInterrupted" : "NetlinkError", n.what());
    err.Set("errno", Napi::Number::New(env, n.err));
    err.Set("code", errno_name(n.err));
    err.Set("op", n.op);
    err.Set("object", n.object);
    if (!n.extack.empty()) err.Set("extack", n.extack);
    if (n.extack_offset >= 0) err.Set("extackOffset", Napi::Number::New(env, static_cast<double>(n.extack_offset)));
    return err;
  } catch (const SystemError& s) {
    Napi::Error err = make(env, "SystemError", s.what());
    err.Set("errno", Napi::Number::New(env, s.err));
    err.Set("code", errno_name(s.err));
    err.Set("op", s.syscall);
    err.Set("object", s.object);
    return err;
  } catch (const InvalidArgument& a) {
    Napi::Error err = make(env, "InvalidArgument", a.what());
    err.Set("field", a.field);
    return err;
  } catch (const Napi::Error& js) {
    return js;
  } catch (const std::exception& x) {
    return make(env, "InternalError", x.what());
  } catch (...) {
    return make(env, "InternalError", "unknown failure in the native core");
  }
}
}  // namespace

Napi::Error error_to_js(Napi::Env env, std::exception_ptr e) { return convert(env, e); }

}  // namespace netplumb::binding
