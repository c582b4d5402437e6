// Load-time registration (operations, parsers, nft expressions) uses one
// static per registration; these make its name unique per line.
#pragma once

#define NETPLUMB_CAT2(a, b) a##b
#define NETPLUMB_CAT(a, b) NETPLUMB_CAT2(a, b)
