#include "core/exec/worker_pool.h"

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "core/errors.h"
#include "core/netns/thread_netns.h"

namespace netplumb {

WorkerPool& WorkerPool::instance() {
  // Two threads let a slow kernel call (a synchronous veth delete takes tens
  // of ms) overlap with other work without oversubscribing small machines.
  static WorkerPool* pool = [] {
    unsigned n = 2;
    if (const char* env = std::getenv("NETPLUMB_THREADS")) n = std::max(1, std::atoi(env));
    return new WorkerPool(n);
  }();
  return *pool;
}

WorkerPool::WorkerPool(unsigned threads) {
  for (unsigned i = 0; i < threads; i++) spawn();
}

void WorkerPool::spawn() { std::thread([this] { loop(); }).detach(); }

void WorkerPool::submit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void WorkerPool::loop() {
  // The kernel names the committing thread in nf_tables generation events;
  // the name lets a watcher tell netplumb's own changes from anyone else's.
  pthread_setname_np(pthread_self(), kWorkerThreadName);
  try {
    adopt_worker_thread();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "netplumb: worker thread cannot start: %s\n", e.what());
    return;
  }
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return !queue_.empty(); });
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      job();
    } catch (const ThreadPoisoned& e) {
      std::fprintf(stderr, "netplumb: %s; replacing the thread\n", e.what());
      release_worker_thread();
      spawn();
      return;
    } catch (...) {
      // Jobs report their own failures; nothing may escape a worker.
    }
  }
}

}  // namespace netplumb
