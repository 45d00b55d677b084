// An archive read at random through range requests: libarchive's read, seek and skip callbacks over
// a socket whose other end (the parent process, ObjectStorage's RangeServer) answers each request
// with that range of an object in a bucket. The worker that parses the archive thus reads only what
// libarchive asks for (a zip's central directory and the sampled members) without a network or a
// credential of its own.
//
// The wire format (RangeServer.swift is the other end): a request is two little-endian uint64, the
// offset and the length; the answer is one little-endian int64, the count of bytes that follow it
// (the length asked, fewer only at the object's end), or -1 when the parent could not fetch the
// range (it knows why, and voids the test's verdict).
#define _GNU_SOURCE
#include "CDecoders.h"
#include <archive.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RC_ERRNO_MISC (-1)

// Reads after a seek start small (a zip's local header is ~100 bytes: a large first read would
// fetch data the sample does not want) and double while libarchive keeps reading on, so a sampled
// member's data comes in a few requests of up to MAX_READ.
enum { MIN_READ = 512, MAX_READ = 8 * 1024 * 1024 };

struct ranged {
    int fd;
    int64_t size;
    int64_t position;
    size_t next_read;
    int64_t *counters;  // requests, bytes received, nanoseconds waited for answers
    uint8_t *buffer;
};

static int write_all(int fd, const void *data, size_t size) {
    const uint8_t *at = data;
    while (size > 0) {
        ssize_t written = send(fd, at, size, MSG_NOSIGNAL);
        if (written < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        at += written;
        size -= (size_t)written;
    }
    return 0;
}

static int read_all(int fd, void *data, size_t size) {
    uint8_t *at = data;
    while (size > 0) {
        ssize_t count = read(fd, at, size);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) return -1;
        at += count;
        size -= (size_t)count;
    }
    return 0;
}

static void put64(uint8_t *to, uint64_t value) {
    for (int i = 0; i < 8; i++) to[i] = (uint8_t)(value >> (8 * i));
}

static uint64_t get64(const uint8_t *from) {
    uint64_t value = 0;
    for (int i = 0; i < 8; i++) value |= (uint64_t)from[i] << (8 * i);
    return value;
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static la_ssize_t ranged_read(struct archive *archive, void *data, const void **out) {
    struct ranged *r = data;
    if (r->position >= r->size) return 0;
    int64_t started = now_ns();
    int64_t left = r->size - r->position;
    size_t want = left < (int64_t)r->next_read ? (size_t)left : r->next_read;
    uint8_t request[16], answer[8];
    put64(request, (uint64_t)r->position);
    put64(request + 8, (uint64_t)want);
    if (write_all(r->fd, request, sizeof request) != 0 || read_all(r->fd, answer, sizeof answer) != 0) {
        archive_set_error(archive, RC_ERRNO_MISC, "object storage read at offset %lld: the parent's connection ended",
                          (long long)r->position);
        return -1;
    }
    int64_t count = (int64_t)get64(answer);
    if (count < 0 || (uint64_t)count > want) {
        archive_set_error(archive, RC_ERRNO_MISC, "object storage could not supply %zu bytes at offset %lld",
                          want, (long long)r->position);
        return -1;
    }
    if (count > 0 && read_all(r->fd, r->buffer, (size_t)count) != 0) {
        archive_set_error(archive, RC_ERRNO_MISC, "object storage read at offset %lld: the parent's connection ended",
                          (long long)r->position);
        return -1;
    }
    r->counters[0] += 1;
    r->counters[1] += count;
    r->counters[2] += now_ns() - started;
    r->position += count;
    if (r->next_read < MAX_READ) r->next_read *= 2;
    *out = r->buffer;
    return (la_ssize_t)count;
}

static la_int64_t ranged_seek(struct archive *archive, void *data, la_int64_t offset, int whence) {
    struct ranged *r = data;
    int64_t target;
    switch (whence) {
    case SEEK_SET: target = offset; break;
    case SEEK_CUR: target = r->position + offset; break;
    case SEEK_END: target = r->size + offset; break;
    default: return ARCHIVE_FATAL;
    }
    if (target < 0) {
        archive_set_error(archive, EINVAL, "seek before the object's start");
        return ARCHIVE_FATAL;
    }
    if (target > r->size) target = r->size;
    if (target != r->position) r->next_read = MIN_READ;
    r->position = target;
    return target;
}

static la_int64_t ranged_skip(struct archive *archive, void *data, la_int64_t request) {
    (void)archive;
    struct ranged *r = data;
    int64_t left = r->size - r->position;
    int64_t skipped = request < left ? request : left;
    if (skipped > 0) r->next_read = MIN_READ;
    r->position += skipped;
    return skipped;
}

static int ranged_close(struct archive *archive, void *data) {
    (void)archive;
    struct ranged *r = data;
    free(r->buffer);
    free(r);
    return ARCHIVE_OK;
}

int rc_ranged_open(struct archive *archive, int fd, int64_t size, int64_t *counters) {
    struct ranged *r = calloc(1, sizeof *r);
    uint8_t *buffer = malloc(MAX_READ);
    if (!r || !buffer) {
        free(r);
        free(buffer);
        archive_set_error(archive, ENOMEM, "out of memory for the object storage reader");
        return ARCHIVE_FATAL;
    }
    r->fd = fd;
    r->size = size;
    r->next_read = MIN_READ;
    r->counters = counters;
    r->buffer = buffer;
    archive_read_set_callback_data(archive, r);
    archive_read_set_read_callback(archive, ranged_read);
    archive_read_set_seek_callback(archive, ranged_seek);
    archive_read_set_skip_callback(archive, ranged_skip);
    archive_read_set_close_callback(archive, ranged_close);
    return archive_read_open1(archive);
}
