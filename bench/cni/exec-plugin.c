/* Execs one CNI plugin the way a container runtime does, and times it.
 *
 * containerd and the kubelet exec plugins through libcni, on Go's os/exec:
 * clone(CLONE_VM|CLONE_VFORK) and execve, the config written to a pipe on the
 * plugin's stdin, its stdout read from another pipe to EOF, then wait4. Node's
 * child_process does far more per spawn (a full fork of a large process, libuv's
 * bookkeeping), which would be counted against every plugin. glibc's posix_spawn
 * takes the same clone(CLONE_VM|CLONE_VFORK) path as Go, so this is what a
 * runtime pays.
 *
 *   exec-plugin PROGRAM < config
 *
 * The plugin gets this program's environment (CNI_*, PATH) and its stderr. The
 * config is read before the clock starts; the clock stops when the plugin has
 * been reaped. Prints "<nanoseconds> <exit status>\n", then the plugin's stdout.
 *
 * Built by bench/cni/add-del.mjs with the system compiler. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static char *read_all(int fd, size_t *len) {
  size_t cap = 4096, n = 0;
  char *p = malloc(cap);
  for (;;) {
    if (n == cap) p = realloc(p, cap *= 2);
    ssize_t r = read(fd, p + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      perror("exec-plugin: read");
      exit(120);
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  *len = n;
  return p;
}

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: exec-plugin PROGRAM < config\n");
    return 120;
  }
  size_t in_len;
  char *in = read_all(0, &in_len);

  /* A plugin that exits without reading its config is a status to report, not
   * a signal for this program; the plugin itself gets SIGPIPE's default back. */
  signal(SIGPIPE, SIG_IGN);

  long long t0 = now_ns();
  int to_child[2], from_child[2];
  if (pipe2(to_child, O_CLOEXEC) < 0 || pipe2(from_child, O_CLOEXEC) < 0) {
    perror("exec-plugin: pipe2");
    return 120;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, to_child[0], 0);
  posix_spawn_file_actions_adddup2(&fa, from_child[1], 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t def;
  sigemptyset(&def);
  sigaddset(&def, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &def);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  int e = posix_spawn(&pid, argv[1], &fa, &attr, (char *[]){argv[1], NULL}, environ);
  if (e != 0) {
    fprintf(stderr, "exec-plugin: %s: %s\n", argv[1], strerror(e));
    return 120;
  }
  close(to_child[0]);
  close(from_child[1]);
  /* A config is far below a pipe's 64 KiB, and plugins read stdin before they
   * write: the write cannot wait on the plugin's output. */
  for (size_t off = 0; off < in_len;) {
    ssize_t w = write(to_child[1], in + off, in_len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) break; /* the plugin exited without reading: its status says why */
    off += (size_t)w;
  }
  close(to_child[1]);
  size_t out_len;
  char *out = read_all(from_child[0], &out_len);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  long long ns = now_ns() - t0;

  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  printf("%lld %d\n", ns, code);
  fwrite(out, 1, out_len, stdout);
  return 0;
}
