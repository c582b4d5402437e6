/* The little JSON the shim needs: writing a string literal, and reading the
 * daemon's answer {"exitCode": N, "stdout": "..."} (other keys skipped). */
#ifndef NETPLUMB_CNI_SHIM_JSON_H
#define NETPLUMB_CNI_SHIM_JSON_H

#include <stddef.h>

#include "buf.h"

/* Appends s (n bytes) as a JSON string literal, quotes included. */
void json_add_string(struct buf *out, const char *s, size_t n);

/* Reads {"exitCode": integer, "stdout": string}; 0 on success, -1 when the
 * text is not such an object. stdout_text is NUL-terminated (and may hold NULs). */
int json_read_answer(const char *text, size_t len, int *exit_code, struct buf *stdout_text);

#endif
