// Threads the addon owns, the only ones that ever switch network namespace
// (libuv's pool also runs getaddrinfo and fs work, which must never see a
// borrowed namespace).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

namespace netplumb {

// The name of every worker thread (at most 15 characters, the kernel's limit).
inline constexpr const char* kWorkerThreadName = "netplumb-worker";

class WorkerPool {
 public:
  static WorkerPool& instance();
  // Runs `job` on a worker thread. A job that throws ThreadPoisoned ends its
  // thread (after the job has reported its own failure); a new one replaces it.
  void submit(std::function<void()> job);

 private:
  explicit WorkerPool(unsigned threads);
  void spawn();
  void loop();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
};

}  // namespace netplumb
