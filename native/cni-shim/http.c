#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The header's value in the header block [start, end), or NULL. */
static const char *header(const char *start, const char *end, const char *name, size_t *len) {
  size_t nlen = strlen(name);
  for (const char *line = start; line < end;) {
    const char *eol = strstr(line, "\r\n");
    if (!eol || eol > end) eol = end;
    if ((size_t)(eol - line) > nlen && strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
      const char *v = line + nlen + 1;
      while (v < eol && (*v == ' ' || *v == '\t')) v++;
      *len = (size_t)(eol - v);
      return v;
    }
    line = eol + 2;
  }
  return NULL;
}

static int dechunk(const char *p, const char *end, struct buf *body) {
  for (;;) {
    char *after;
    unsigned long size = strtoul(p, &after, 16);
    const char *eol = strstr(after, "\r\n");
    if (after == p || !eol || eol >= end) return -1;
    p = eol + 2;
    if (size == 0) return 0;
    if ((size_t)(end - p) < size + 2) return -1;
    buf_add(body, p, size);
    p += size + 2;
  }
}

int http_post_json(int fd, const char *path, const struct buf *json, int *status, struct buf *body) {
  char head[512];
  int n = snprintf(head, sizeof head,
                   "POST %s HTTP/1.1\r\nHost: netplumb\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                   path, json->len);
  if (n < 0 || (size_t)n >= sizeof head) {
    errno = ENAMETOOLONG;
    return -1;
  }
  /* No shutdown(SHUT_WR) after the body: Node's HTTP server drops a half-closed
   * connection before it answers. "Connection: close" ends the answer instead. */
  if (write_all(fd, head, (size_t)n) < 0 || write_all(fd, json->data, json->len) < 0) return -1;

  struct buf in = {0};
  if (buf_read_all(&in, fd, (size_t)256 << 20) < 0) {
    free(in.data);
    return -1;
  }
  const char *end = in.data + in.len;
  const char *blank = strstr(in.data, "\r\n\r\n");
  if (strncmp(in.data, "HTTP/1.", 7) != 0 || !blank || sscanf(in.data + 8, " %3d", status) != 1) {
    free(in.data);
    errno = EPROTO;
    return -1;
  }
  const char *content = blank + 4;
  size_t vlen;
  const char *te = header(in.data, blank, "Transfer-Encoding", &vlen);
  const char *cl = header(in.data, blank, "Content-Length", &vlen);
  int rc = 0;
  if (te && strncasecmp(te, "chunked", 7) == 0) {
    rc = dechunk(content, end, body);
  } else if (cl) {
    unsigned long want = strtoul(cl, NULL, 10);
    if ((size_t)(end - content) < want) rc = -1;
    else buf_add(body, content, want);
  } else {
    buf_add(body, content, (size_t)(end - content));
  }
  free(in.data);
  if (rc < 0) errno = EPROTO;
  return rc;
}
