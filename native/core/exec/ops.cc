#include "core/exec/ops.h"

#include <chrono>
#include <map>
#include <stdexcept>

#include "core/errors.h"

namespace netplumb {

namespace {
std::map<std::string, OpFn>& registry() {
  static std::map<std::string, OpFn> r;
  return r;
}
}  // namespace

std::vector<std::string> UndoLog::rollback() {
  std::vector<std::string> failed;
  while (!steps_.empty()) {
    Step s = std::move(steps_.back());
    steps_.pop_back();
    try {
      s.undo();
    } catch (const std::exception& e) {
      failed.push_back(s.what + ": " + e.what());
    }
  }
  return failed;
}

void Ops::add(const char* name, OpFn fn) { registry()[name] = fn; }

OpFn Ops::find(const std::string& name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : it->second;
}

std::vector<std::string> Ops::names() {
  std::vector<std::string> out;
  for (auto& [k, v] : registry()) out.push_back(k);
  return out;
}

PlanFailure::PlanFailure(std::exception_ptr cause, size_t index, std::vector<std::string> undo_failures)
    : cause(std::move(cause)), index(index), undo_failures(std::move(undo_failures)) {}

namespace {
bool is_result_ref(const Value& v) {
  auto* o = std::get_if<Object>(&v.v);
  return o && o->size() == 1 && o->begin()->first == "$result";
}

bool mentions_result(const Value& v) {
  if (is_result_ref(v)) return true;
  if (auto* a = std::get_if<Array>(&v.v))
    for (auto& x : *a)
      if (mentions_result(x)) return true;
  if (auto* o = std::get_if<Object>(&v.v))
    for (auto& [k, x] : *o)
      if (mentions_result(x)) return true;
  return false;
}

Value resolve(const Value& v, const Array& results) {
  if (is_result_ref(v)) {
    int64_t i = v["$result"].as_int("$result");
    if (i < 0 || static_cast<size_t>(i) >= results.size())
      throw InvalidArgument("$result", "a plan call refers to the result of call " + std::to_string(i) +
                                           ", which has not run before it");
    return results[static_cast<size_t>(i)];
  }
  if (auto* a = std::get_if<Array>(&v.v)) {
    Array out;
    for (auto& x : *a) out.push_back(resolve(x, results));
    return Value(std::move(out));
  }
  if (auto* o = std::get_if<Object>(&v.v)) {
    Object out;
    for (auto& [k, x] : *o) out.emplace(k, resolve(x, results));
    return Value(std::move(out));
  }
  return v;
}
}  // namespace

Value run_plan(const NetnsRef& ns, const std::vector<OpCall>& calls, std::vector<double>* timings) {
  using Clock = std::chrono::steady_clock;
  // Resolve every name before touching the kernel.
  std::vector<OpFn> fns;
  for (auto& c : calls) {
    OpFn fn = Ops::find(c.name);
    if (!fn) throw InvalidArgument("op", "unknown operation '" + c.name + "'");
    fns.push_back(fn);
  }
  UndoLog undo;
  Array results;
  results.reserve(calls.size());
  for (size_t i = 0; i < calls.size(); i++) {
    Clock::time_point start = timings ? Clock::now() : Clock::time_point();
    try {
      const OpCall& c = calls[i];
      bool refs = mentions_result(c.args) || mentions_result(c.netns);
      Value args = refs ? resolve(c.args, results) : Value();
      Value target = refs ? resolve(c.netns, results) : c.netns;
      NetnsRef where = target.is_null() ? ns : target.as_netns("netns");
      OpContext ctx{*where, undo, i + 1 < calls.size()};
      results.push_back(fns[i](ctx, refs ? args : c.args));
    } catch (const ThreadPoisoned&) {
      throw;
    } catch (...) {
      throw PlanFailure(std::current_exception(), i, undo.rollback());
    }
    if (timings) timings->push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  undo.commit();
  return Value(std::move(results));
}

}  // namespace netplumb
