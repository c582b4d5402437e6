#define _GNU_SOURCE
#include "fallback.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* node and entry from the trailer of our own executable; 0 when it has one. */
static int read_trailer(char *node, size_t node_len, char *entry, size_t entry_len) {
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st;
  unsigned char tail[4 + TRAILER_MAGIC_LEN];
  int rc = -1;
  if (fstat(fd, &st) == 0 && st.st_size > (off_t)sizeof tail &&
      pread(fd, tail, sizeof tail, st.st_size - (off_t)sizeof tail) == (ssize_t)sizeof tail &&
      memcmp(tail + 4, TRAILER_MAGIC, TRAILER_MAGIC_LEN) == 0) {
    uint32_t len = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 | (uint32_t)tail[3] << 24;
    char text[2 * PATH_MAX + 2];
    if (len < sizeof text && st.st_size >= (off_t)(sizeof tail + len) &&
        pread(fd, text, len, st.st_size - (off_t)sizeof tail - len) == (ssize_t)len && len > 0 && text[len - 1] == '\0') {
      const char *second = memchr(text, '\0', len);
      if (second && second + 1 < text + len && strlen(text) < node_len && strlen(second + 1) < entry_len) {
        strcpy(node, text);
        strcpy(entry, second + 1);
        rc = 0;
      }
    }
  }
  close(fd);
  return rc;
}

/* Where the entry is when the shim runs from the package itself:
 * <package>/build/Release/netplumb-cni or <package>/prebuilds/<platform>/netplumb-cni. */
static int entry_beside_package(char *entry, size_t entry_len) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n < 0) return -1;
  self[n] = '\0';
  char *dir = dirname(dirname(dirname(self)));
  int w = snprintf(entry, entry_len, "%s/dist/cli/cni-plugin.cjs", dir);
  return w > 0 && (size_t)w < entry_len ? 0 : -1;
}

/* stdin for the exec'd process: a memory file holding what we read. */
static int stdin_from(const struct buf *data) {
  int fd = memfd_create("netplumb-cni-stdin", 0);
  if (fd < 0) {
    char tmpl[] = "/tmp/netplumb-cni-stdin.XXXXXX";
    fd = mkstemp(tmpl);
    if (fd < 0) return -1;
    unlink(tmpl);
  }
  if (write_all(fd, data->data ? data->data : "", data->len) < 0 || lseek(fd, 0, SEEK_SET) < 0 || dup2(fd, 0) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  if (fd != 0) close(fd);
  return 0;
}

int exec_in_process(const struct buf *stdin_data, char *why, size_t why_len) {
  char node[PATH_MAX] = "node";
  char entry[PATH_MAX];
  const char *env_node = getenv("NETPLUMB_NODE");
  const char *env_entry = getenv("NETPLUMB_CNI_ENTRY");
  int found = read_trailer(node, sizeof node, entry, sizeof entry) == 0;
  if (!found && entry_beside_package(entry, sizeof entry) < 0) {
    snprintf(why, why_len, "cannot tell where netplumb's in-process entry is (set NETPLUMB_CNI_ENTRY)");
    errno = ENOENT;
    return -1;
  }
  if (env_node && *env_node) snprintf(node, sizeof node, "%s", env_node);
  if (env_entry && *env_entry) snprintf(entry, sizeof entry, "%s", env_entry);
  if (access(entry, R_OK) < 0) {
    int e = errno;
    snprintf(why, why_len, "netplumb's in-process entry %s: %s", entry, strerror(e));
    errno = e;
    return -1;
  }
  if (stdin_from(stdin_data) < 0) {
    int e = errno;
    snprintf(why, why_len, "cannot pass stdin on: %s", strerror(e));
    errno = e;
    return -1;
  }
  char *argv[] = {node, entry, NULL};
  if (strchr(node, '/')) execv(node, argv);
  else execvp(node, argv);
  int e = errno;
  snprintf(why, why_len, "cannot run %s: %s", node, strerror(e));
  errno = e;
  return -1;
}
