/* One HTTP/1.1 exchange over a connected stream socket: a POST with a JSON
 * body, and the answer's status and body (Content-Length, chunked, or up to
 * the close the request asks for). */
#ifndef NETPLUMB_CNI_SHIM_HTTP_H
#define NETPLUMB_CNI_SHIM_HTTP_H

#include "buf.h"

/* 0 with *status and body filled, or -1 with errno set (EPROTO: not HTTP). */
int http_post_json(int fd, const char *path, const struct buf *json, int *status, struct buf *body);

#endif
