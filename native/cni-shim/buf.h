/* A growable byte buffer: the shim's only container. Allocation failure
 * ends the process (the runtime sees a non-zero exit), so callers never
 * check for it. */
#ifndef NETPLUMB_CNI_SHIM_BUF_H
#define NETPLUMB_CNI_SHIM_BUF_H

#include <stddef.h>

struct buf {
  char *data;
  size_t len;
  size_t cap;
};

void buf_reserve(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
/* Reads fd to its end; returns 0, or -1 with errno set (or EFBIG past max bytes). */
int buf_read_all(struct buf *b, int fd, size_t max);
/* Writes all of p to fd, across partial writes and EINTR; 0 or -1 with errno. */
int write_all(int fd, const char *p, size_t n);

#endif
