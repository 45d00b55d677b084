// See include/CSystemShim.h. _GNU_SOURCE for pipe2, posix_spawn_file_actions_addclosefrom_np and renameat2;
// prctl is variadic, which Swift does not call.
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "CSystemShim.h"

int rc_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int rc_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int low_fd) {
    return posix_spawn_file_actions_addclosefrom_np(actions, low_fd);
}

int rc_set_parent_death_signal(int signal) { return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL); }

int rc_rename_at(int olddir, const char *oldname, int newdir, const char *newname, int replace) {
    return replace ? renameat(olddir, oldname, newdir, newname) : renameat2(olddir, oldname, newdir, newname, RENAME_NOREPLACE);
}

int rc_fsetxattr(int fd, const char *name, const void *value, unsigned long size) { return fsetxattr(fd, name, value, size, 0); }
