#include "binding/exec.h"

#include "binding/addon_data.h"
#include "binding/convert.h"
#include "binding/errors.h"
#include "core/errors.h"
#include "core/exec/ops.h"
#include "core/exec/worker_pool.h"
#include "core/netns/netns.h"
#include "core/value_json.h"

namespace netplumb::binding {

namespace {

struct Completion {
  Napi::Promise::Deferred deferred;
  Value result;
  std::exception_ptr error;
};

void settle(Napi::Env env, Napi::Function, Completion* c) {
  AddonData& data = AddonData::of(env);
  if (--data.pending == 0) data.completions.Unref(env);
  if (env != nullptr) {
    Napi::HandleScope scope(env);
    if (c->error) {
      c->deferred.Reject(error_to_js(env, c->error).Value());
    } else {
      try {
        c->deferred.Resolve(to_js(env, c->result));
      } catch (const Napi::Error& e) {
        c->deferred.Reject(e.Value());
      }
    }
  }
  delete c;
}

// exec(netns: NetnsHandle | null, calls: {op: string, args?: object}[], options?: {timings?: boolean})
//   → Promise<unknown[]>, or with timings Promise<{results: unknown[], timings: number[]}>
Napi::Value exec(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NetnsRef ns;
  std::vector<OpCall> calls;
  bool timed = false;
  try {
    if (info.Length() < 2 || !info[1].IsArray())
      throw InvalidArgument("calls", "exec(netns, calls) takes an array of {op, args}");
    if (info[0].IsObject()) {
      Value v = from_js(info[0], "netns");
      ns = v.as_netns("netns");
    } else {
      ns = Netns::process();
    }
    Value list = from_js(info[1], "calls");
    // A call's arguments come as an object, or as JSON text (argsJson) for bulk ones: see core/value_json.h.
    for (const Value& c : list.as_array("calls"))
      calls.push_back({c.str("op"), c.has("argsJson") ? parse_json(c.str("argsJson"), "argsJson") : c["args"], c["netns"]});
    if (info.Length() > 2 && info[2].IsObject()) timed = from_js(info[2], "options").bool_or("timings", false);
  } catch (...) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(error_to_js(env, std::current_exception()).Value());
    return d.Promise();
  }
  if (!timed) return run_async(env, [ns, calls = std::move(calls)] { return run_plan(ns, calls); });
  return run_async(env, [ns, calls = std::move(calls)] {
    std::vector<double> timings;
    Value results = run_plan(ns, calls, &timings);
    Array ms(timings.begin(), timings.end());
    return Value(Object{{"results", std::move(results)}, {"timings", Value(std::move(ms))}});
  });
}

Napi::Value op_names(const Napi::CallbackInfo& info) {
  Value out{Array{}};
  for (auto& n : Ops::names()) out.as_array_mut().push_back(n);
  return to_js(info.Env(), out);
}

}  // namespace

Napi::Promise run_async(Napi::Env env, std::function<Value()> work) {
  AddonData& data = AddonData::of(env);
  auto* c = new Completion{Napi::Promise::Deferred::New(env), {}, nullptr};
  Napi::Promise promise = c->deferred.Promise();
  if (data.pending++ == 0) data.completions.Ref(env);
  Napi::ThreadSafeFunction tsfn = data.completions;
  WorkerPool::instance().submit([c, tsfn, work = std::move(work)]() mutable {
    bool poisoned = false;
    try {
      c->result = work();
    } catch (const ThreadPoisoned&) {
      c->error = std::current_exception();
      poisoned = true;
    } catch (...) {
      c->error = std::current_exception();
    }
    tsfn.BlockingCall(c, settle);
    if (poisoned) throw ThreadPoisoned("worker left in a foreign network namespace");
  });
  return promise;
}

void define_exec(Napi::Env env, Napi::Object exports) {
  AddonData& data = AddonData::of(env);
  data.completions = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}),
                                                   "netplumb-completions", 0, 1);
  data.completions.Unref(env);
  exports.Set("exec", Napi::Function::New(env, exec));
  exports.Set("opNames", Napi::Function::New(env, op_names));
  // The kernel reports the committing thread's name in nf_tables generation
  // events; the firewall guard reads it from here to tell our commits apart.
  exports.Set("workerThreadName", Napi::String::New(env, kWorkerThreadName));
}

}  // namespace netplumb::binding
