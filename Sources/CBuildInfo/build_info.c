#include "build_info.h"

// Package.swift defines RESTORECHECK_COMMIT from the build environment (hex digits only); a C
// string is the one way SwiftPM passes a value, rather than a flag, into the binary.
#ifndef RESTORECHECK_COMMIT
#define RESTORECHECK_COMMIT "unknown"
#endif

const char *rc_build_commit(void) { return RESTORECHECK_COMMIT; }
