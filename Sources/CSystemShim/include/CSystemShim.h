#ifndef RESTORECHECK_CSYSTEMSHIM_H
#define RESTORECHECK_CSYSTEMSHIM_H
// glibc functions Swift cannot import as they are: declared only under _GNU_SOURCE, or variadic.
// Thin, fixed-argument wrappers; each says which libc call it makes (see shim.c).
#include <spawn.h>

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec from birth, so a concurrent spawn cannot inherit
/// another worker's pipe end between pipe() and fcntl().
int rc_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addclosefrom_np(actions, low_fd) (glibc 2.34+): the child closes every
/// descriptor from low_fd up.
int rc_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int low_fd);

/// prctl(PR_SET_PDEATHSIG, signal): the calling process gets `signal` when its parent dies.
int rc_set_parent_death_signal(int signal);

/// renameat2(olddir, oldname, newdir, newname, RENAME_NOREPLACE) when `replace` is 0, else
/// renameat(): a restored file takes its final name without ever replacing one it must not.
int rc_rename_at(int olddir, const char *oldname, int newdir, const char *newname, int replace);

/// fsetxattr(fd, name, value, size, 0) from <sys/xattr.h>, which the Glibc module does not export.
int rc_fsetxattr(int fd, const char *name, const void *value, unsigned long size);

#endif
