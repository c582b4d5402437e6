/* When no netplumbd answers: exec Node on netplumb's in-process CNI entry
 * with the same environment and the stdin already read. */
#ifndef NETPLUMB_CNI_SHIM_FALLBACK_H
#define NETPLUMB_CNI_SHIM_FALLBACK_H

#include "buf.h"

/* The trailer `netplumb cni install` appends to the installed binary:
 * "<node>\0<entry>\0", then its length as 4 bytes little-endian, then MAGIC. */
#define TRAILER_MAGIC "NPCNI1\n"
#define TRAILER_MAGIC_LEN 8

/* Does not return on success; returns -1 with errno and a message in why. */
int exec_in_process(const struct buf *stdin_data, char *why, size_t why_len);

#endif
