// The operations the core offers, by name. Each takes a Value of arguments
// and returns a Value; what it changes it records in an undo log so that a
// failure later in the same plan can put the kernel back as it was.
#pragma once

#include "core/registry_macros.h"

#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "core/netns/netns.h"
#include "core/value.h"

namespace netplumb {

class UndoLog {
 public:
  void push(std::string what, std::function<void()> undo) {
    steps_.push_back({std::move(what), std::move(undo)});
  }
  // Undoes everything in reverse order; returns descriptions of steps whose
  // undo failed (they are reported, not thrown).
  std::vector<std::string> rollback();
  void commit() { steps_.clear(); }
  size_t size() const { return steps_.size(); }

 private:
  struct Step {
    std::string what;
    std::function<void()> undo;
  };
  std::vector<Step> steps_;
};

struct OpContext {
  Netns& ns;      // the namespace the plan runs against
  UndoLog& undo;  // what to do to take this plan back
  // False for the last call of a plan: no later call can fail and ask for
  // its undo, so an op may skip reading state that only its undo would need
  // (it must still record undo for its own steps if it can fail halfway).
  bool later_calls = true;
};

using OpFn = Value (*)(OpContext&, const Value& args);

class Ops {
 public:
  static void add(const char* name, OpFn fn);
  static OpFn find(const std::string& name);  // nullptr when unknown
  static std::vector<std::string> names();
};

// One call in a plan: an operation name and its arguments, optionally run
// against another namespace than the plan's (`netns`). Anywhere in `args` or
// in `netns`, an object {"$result": i} stands for the result of call i, so a
// plan can create a namespace and use it in the same trip.
struct OpCall {
  std::string name;
  Value args;
  Value netns;  // null: the plan's namespace
};

// A plan stopped at call `index`; what ran before it was undone, except the
// steps listed in `undo_failures`.
struct PlanFailure : std::exception {
  std::exception_ptr cause;
  size_t index;
  std::vector<std::string> undo_failures;
  PlanFailure(std::exception_ptr cause, size_t index, std::vector<std::string> undo_failures);
  const char* what() const noexcept override { return "plan failed"; }
};

// Runs the calls in order against `ns`. If one fails, those before it are
// undone and the failure is rethrown; the result holds each call's return.
// With `timings`, each call's duration on this thread (ms, steady clock) is
// appended to it, so a caller can see which step costs what without the
// trip to and from JS in the number.
Value run_plan(const NetnsRef& ns, const std::vector<OpCall>& calls, std::vector<double>* timings = nullptr);

}  // namespace netplumb

// Registers `fn` under `name` at load time.
#define NETPLUMB_OP(name, fn) \
  static const bool NETPLUMB_CAT(netplumb_op_registered_, __LINE__) = (::netplumb::Ops::add(name, fn), true)
