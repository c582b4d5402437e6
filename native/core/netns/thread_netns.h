// Running code in another network namespace from a worker thread. Only
// threads the addon owns may switch: each remembers its home namespace, and
// one that cannot get back is poisoned and must exit.
#pragma once

#include <functional>

namespace netplumb {

// Marks the calling thread as an addon worker and records its home namespace.
void adopt_worker_thread();
void release_worker_thread();
bool is_worker_thread();

// Runs `fn` with the calling worker thread inside the namespace `netns_fd`,
// then returns home. Throws ThreadPoisoned if it cannot get back.
void run_in_netns(int netns_fd, const std::function<void()>& fn);

// Runs `fn` in a brand-new network namespace (unshare(CLONE_NEWNET)) and
// returns an fd for that namespace, then returns home.
int run_in_new_netns(const std::function<void(int new_fd)>& fn);

}  // namespace netplumb
