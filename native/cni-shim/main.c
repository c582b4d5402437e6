/* netplumb's CNI plugin as a container runtime execs it (CNI_PATH/netplumb):
 * forwards the request — the CNI_* environment and the network config on
 * stdin, as {"env": {...}, "stdin": "..."} — to netplumbd, prints the
 * answer's stdout and exits with its exitCode. netplumbd takes it on
 *   <socket>.cni: the request, then this side shut; the answer, then close
 *     (the daemon serves it without HTTP: about a millisecond less per call);
 *   <socket> itself: POST /netplumb/v1/cni (a daemon without the first);
 * and when no daemon answers on either (no socket, or nobody listening) the
 * shim execs Node on netplumb's in-process entry, which gives the same
 * answers. libc only: a runtime pays for every exec, and this one costs what
 * a small C program costs.
 *
 * The socket: NETPLUMB_HOST=unix:///path, else /run/netplumb/netplumb.sock. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "fallback.h"
#include "http.h"
#include "json.h"

extern char **environ;

#define DEFAULT_SOCKET "/run/netplumb/netplumb.sock"
#define CNI_PATH_ON_DAEMON "/netplumb/v1/cni"
#define CNI_SOCKET_SUFFIX ".cni"

/* A CNI error result on stdout (code 5: I/O failure), and the exit status for it. */
static int fail(const char *msg, const char *details) {
  struct buf out = {0};
  const char *version = "1.1.0";
  buf_adds(&out, "{\"cniVersion\":\"");
  buf_adds(&out, version);
  buf_adds(&out, "\",\"code\":5,\"msg\":");
  json_add_string(&out, msg, strlen(msg));
  buf_adds(&out, ",\"details\":");
  json_add_string(&out, details, strlen(details));
  buf_adds(&out, "}\n");
  write_all(1, out.data, out.len);
  return 1;
}

static const char *socket_path(char *why, size_t why_len) {
  const char *host = getenv("NETPLUMB_HOST");
  if (!host || !*host) return DEFAULT_SOCKET;
  if (strncmp(host, "unix://", 7) != 0 || host[7] != '/') {
    snprintf(why, why_len, "NETPLUMB_HOST is '%s'; the CNI plugin speaks to netplumbd only over unix:///path", host);
    return NULL;
  }
  return host + 7;
}

/* {"env": {CNI_*...}, "stdin": "..."} */
static void request_body(struct buf *body, const struct buf *in) {
  buf_adds(body, "{\"env\":{");
  int first = 1;
  for (char **e = environ; *e; e++) {
    const char *eq = strchr(*e, '=');
    if (strncmp(*e, "CNI_", 4) != 0 || !eq) continue;
    if (!first) buf_addc(body, ',');
    first = 0;
    json_add_string(body, *e, (size_t)(eq - *e));
    buf_addc(body, ':');
    json_add_string(body, eq + 1, strlen(eq + 1));
  }
  buf_adds(body, "},\"stdin\":");
  json_add_string(body, in->data ? in->data : "", in->len);
  buf_addc(body, '}');
}

/* A connected socket; -1 with errno (ENOENT, ECONNREFUSED: no daemon). */
static int connect_unix(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  while (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    if (errno == EINTR) continue;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* Prints the daemon's answer {"exitCode", "stdout"}; returns the exit status. */
static int print_answer(const struct buf *answer, const char *from, char *why, size_t why_len) {
  int exit_code = 1;
  struct buf out = {0};
  if (json_read_answer(answer->data ? answer->data : "", answer->len, &exit_code, &out) < 0) {
    snprintf(why, why_len, "netplumbd at %s answered: %.2048s", from, answer->data ? answer->data : "");
    return fail("netplumbd gave no CNI answer", why);
  }
  if (out.len > 0 && write_all(1, out.data, out.len) < 0) return 1;
  return exit_code;
}

int main(void) {
  /* A daemon that goes away mid-request is an error to report, not a signal to die of. */
  signal(SIGPIPE, SIG_IGN);
  char why[4096 + 256];

  struct buf in = {0};
  if (buf_read_all(&in, 0, (size_t)64 << 20) < 0) return fail("failed to read the network config", strerror(errno));

  const char *path = socket_path(why, sizeof why);
  if (!path) return fail("invalid NETPLUMB_HOST", why);
  /* The request is whole before the connection is made: the daemon wakes for
   * the connection and finds the request there, instead of waiting for it. */
  struct buf body = {0};
  request_body(&body, &in);
  int status = 0;
  struct buf answer = {0};
  char one_shot[sizeof(((struct sockaddr_un *)0)->sun_path) + sizeof CNI_SOCKET_SUFFIX];
  snprintf(one_shot, sizeof one_shot, "%s%s", path, CNI_SOCKET_SUFFIX);
  int fd = strlen(path) + strlen(CNI_SOCKET_SUFFIX) < sizeof one_shot ? connect_unix(one_shot) : -1;
  if (fd >= 0) {
    if (write_all(fd, body.data, body.len) < 0 || shutdown(fd, SHUT_WR) < 0 || buf_read_all(&answer, fd, (size_t)64 << 20) < 0) {
      snprintf(why, sizeof why, "request to netplumbd at %s failed: %s", one_shot, strerror(errno));
      return fail("netplumbd did not answer", why);
    }
    close(fd);
    if (answer.len == 0) {
      /* It refused the request before reading it all (too large), or stopped meanwhile. */
      snprintf(why, sizeof why, "netplumbd at %s closed the connection without an answer", one_shot);
      return fail("netplumbd did not answer", why);
    }
    return print_answer(&answer, one_shot, why, sizeof why);
  }

  fd = connect_unix(path);
  if (fd < 0 && (errno == ENOENT || errno == ECONNREFUSED)) {
    exec_in_process(&in, why, sizeof why);
    return fail("netplumb is not available", why);
  }
  if (fd < 0) {
    snprintf(why, sizeof why, "cannot connect to netplumbd at %s: %s", path, strerror(errno));
    return fail("netplumbd is not reachable", why);
  }

  if (http_post_json(fd, CNI_PATH_ON_DAEMON, &body, &status, &answer) < 0) {
    snprintf(why, sizeof why, "request to netplumbd at %s failed: %s", path, strerror(errno));
    return fail("netplumbd did not answer", why);
  }
  close(fd);
  if (status != 200) {
    snprintf(why, sizeof why, "netplumbd at %s answered %s %d: %.2048s", path, CNI_PATH_ON_DAEMON, status, answer.data ? answer.data : "");
    return fail("netplumbd gave no CNI answer", why);
  }
  return print_answer(&answer, path, why, sizeof why);
}
