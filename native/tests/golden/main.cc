// The golden-byte tests: every builder's output against what ip and nft send.
#include "check.h"

int main() { return check::run_all(); }
