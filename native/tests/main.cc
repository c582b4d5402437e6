// The entry point of the core's C++ unit tests: every TEST in the linked files.
#include "check.h"

int main() { return check::run_all(); }
