#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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

/* The chunked body at p: 1 when whole (appended to body), 0 when more is to
 * come, -1 when it is not chunked encoding. */
static int dechunk(const char *p, const char *end, struct buf *body) {
  size_t start = body->len;
  for (;;) {
    char *after;
    if (p >= end) goto partial;
    unsigned long size = strtoul(p, &after, 16);
    if (after == p) return -1;
    const char *eol = strstr(after, "\r\n");
    if (!eol || eol >= end) goto partial;
    p = eol + 2;
    if (size == 0) return 1;
    if ((size_t)(end - p) < size + 2) goto partial;
    buf_add(body, p, size);
    p += size + 2;
  }
partial:
  body->len = start;
  return 0;
}

/* Whether `in` holds the whole answer: its status and body are then filled
 * (1); 0 when more is to come; -1 with errno when it is not an HTTP answer. */
static int parse_answer(const struct buf *in, int eof, int *status, struct buf *body) {
  const char *blank = strstr(in->data, "\r\n\r\n");
  if (!blank) {
    if (!eof && (in->len < 7 || strncmp(in->data, "HTTP/1.", 7) == 0)) return 0;
    errno = EPROTO;
    return -1;
  }
  if (strncmp(in->data, "HTTP/1.", 7) != 0 || sscanf(in->data + 8, " %3d", status) != 1) {
    errno = EPROTO;
    return -1;
  }
  const char *content = blank + 4;
  const char *end = in->data + in->len;
  size_t vlen;
  const char *te = header(in->data, blank, "Transfer-Encoding", &vlen);
  const char *cl = header(in->data, blank, "Content-Length", &vlen);
  if (te && strncasecmp(te, "chunked", 7) == 0) {
    int rc = dechunk(content, end, body);
    if (rc == 0 && !eof) return 0;
    if (rc == 1) return 1;
  } else if (cl) {
    unsigned long want = strtoul(cl, NULL, 10);
    if ((size_t)(end - content) >= want) {
      buf_add(body, content, want);
      return 1;
    }
    if (!eof) return 0;
  } else {
    if (!eof) return 0;
    buf_add(body, content, (size_t)(end - content));
    return 1;
  }
  errno = EPROTO;
  return -1;
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
  /* One write: the daemon reads the whole request in one wake-up.
   * No shutdown(SHUT_WR) after the body: Node's HTTP server drops a half-closed
   * connection before it answers. "Connection: close" ends the answer instead. */
  struct buf out = {0};
  buf_reserve(&out, (size_t)n + json->len);
  buf_add(&out, head, (size_t)n);
  buf_add(&out, json->data, json->len);
  int wrote = write_all(fd, out.data, out.len);
  free(out.data);
  if (wrote < 0) return -1;

  /* Read until the answer is whole (by its Content-Length or last chunk), not
   * until the daemon closes: the close comes a turn of its event loop later. */
  struct buf in = {0};
  int rc = 0;
  for (;;) {
    buf_reserve(&in, 65536);
    ssize_t got = read(fd, in.data + in.len, in.cap - in.len - 1);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      rc = -1;
      break;
    }
    in.len += (size_t)got;
    in.data[in.len] = '\0';
    if (in.len > ((size_t)256 << 20)) {
      errno = EFBIG;
      rc = -1;
      break;
    }
    rc = parse_answer(&in, got == 0, status, body);
    if (rc != 0) break;
  }
  free(in.data);
  return rc < 0 ? -1 : 0;
}
