#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void buf_reserve(struct buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra + 1) cap *= 2;
  char *p = realloc(b->data, cap);
  if (!p) _exit(70);
  b->data = p;
  b->cap = cap;
}

void buf_add(struct buf *b, const void *p, size_t n) {
  buf_reserve(b, n);
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

void buf_addc(struct buf *b, char c) { buf_add(b, &c, 1); }

int buf_read_all(struct buf *b, int fd, size_t max) {
  buf_reserve(b, 0);
  for (;;) {
    buf_reserve(b, 65536);
    ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    b->len += (size_t)n;
    if (b->len > max) {
      errno = EFBIG;
      return -1;
    }
  }
  b->data[b->len] = '\0';
  return 0;
}

int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}
