#ifndef RESTORECHECK_BUILD_INFO_H
#define RESTORECHECK_BUILD_INFO_H

/// The commit the binary was built from (`RESTORECHECK_COMMIT` in the build's environment, as
/// `make release` and `make deb` set it), or "unknown".
const char *rc_build_commit(void);

#endif
