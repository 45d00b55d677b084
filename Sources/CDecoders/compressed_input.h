// The compressed file's bytes for restorecheck's own decoders (ISA-L, liblzma's threads): one read
// rule for both, so an interrupted read is retried and a failed one is an archive error naming it.
#ifndef RESTORECHECK_COMPRESSED_INPUT_H
#define RESTORECHECK_COMPRESSED_INPUT_H
#include <archive.h>
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

/// Reads up to `size` bytes of `fd` into `buffer`, retrying EINTR, and adds what it read to
/// `*total`. 0 at the end of the file; -1 on an error, set on `archive` as "read error on the
/// `what` file".
static inline ssize_t rc_read_compressed(struct archive *archive, int fd, void *buffer, size_t size, const char *what, int64_t *total) {
    ssize_t count;
    do { count = read(fd, buffer, size); } while (count < 0 && errno == EINTR);
    if (count < 0) {
        archive_set_error(archive, errno, "read error on the %s file", what);
        return -1;
    }
    *total += count;
    return count;
}

#endif
