// liblzma's multi-threaded .xz decoder as a libarchive read callback: the one place restorecheck
// calls liblzma. libarchive's own xz filter uses the single-threaded decoder.
#include "CDecoders.h"
#include "compressed_input.h"
#include <archive.h>
#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { IN_SIZE = 256 * 1024, OUT_SIZE = 256 * 1024 };

struct xz {
    lzma_stream stream;
    int fd;
    int at_end_of_file;
    int finished;
    int64_t *compressed_read;
    int64_t *decompressed;
    uint8_t in[IN_SIZE];
    uint8_t out[OUT_SIZE];
};

static const char *describe(lzma_ret status) {
    switch (status) {
    case LZMA_DATA_ERROR: return "xz data is corrupt";
    case LZMA_FORMAT_ERROR: return "not an xz stream";
    case LZMA_OPTIONS_ERROR: return "xz stream with unsupported options";
    case LZMA_BUF_ERROR: return "truncated xz input";
    case LZMA_MEM_ERROR: return "out of memory decoding xz";
    case LZMA_MEMLIMIT_ERROR: return "xz stream needs more memory than allowed";
    case LZMA_UNSUPPORTED_CHECK: return "xz stream with an unsupported integrity check";
    default: return "xz decoder error";
    }
}

static la_ssize_t read_callback(struct archive *archive, void *data, const void **buffer) {
    struct xz *x = data;
    x->stream.next_out = x->out;
    x->stream.avail_out = OUT_SIZE;
    while (!x->finished && x->stream.avail_out > 0) {
        if (x->stream.avail_in == 0 && !x->at_end_of_file) {
            ssize_t count = rc_read_compressed(archive, x->fd, x->in, IN_SIZE, "xz", x->compressed_read);
            if (count < 0) return -1;
            if (count == 0) x->at_end_of_file = 1;
            x->stream.next_in = x->in;
            x->stream.avail_in = (size_t)count;
        }
        lzma_ret status = lzma_code(&x->stream, x->at_end_of_file ? LZMA_FINISH : LZMA_RUN);
        if (status == LZMA_STREAM_END) {
            x->finished = 1;
        } else if (status != LZMA_OK) {
            archive_set_error(archive, status == LZMA_MEM_ERROR ? ENOMEM : EILSEQ, "%s (liblzma status %d)", describe(status), (int)status);
            return -1;
        }
    }
    size_t produced = OUT_SIZE - x->stream.avail_out;
    *x->decompressed += (int64_t)produced;
    *buffer = x->out;
    return (la_ssize_t)produced;
}

static int close_callback(struct archive *archive, void *data) {
    (void)archive;
    struct xz *x = data;
    lzma_end(&x->stream);
    free(x);
    return ARCHIVE_OK;
}

int rc_xz_open_mt(struct archive *archive, int fd, uint32_t threads, uint64_t memlimit_threading,
                  int64_t *compressed_read, int64_t *decompressed) {
    struct xz *x = calloc(1, sizeof *x);
    if (!x) {
        archive_set_error(archive, ENOMEM, "out of memory for the xz decoder");
        return ARCHIVE_FATAL;
    }
    lzma_stream initial = LZMA_STREAM_INIT;
    x->stream = initial;
    lzma_mt options;
    memset(&options, 0, sizeof options);
    options.flags = LZMA_CONCATENATED;
    options.threads = threads;
    options.memlimit_threading = memlimit_threading;
    options.memlimit_stop = UINT64_MAX;  // as libarchive's filter; the worker's RLIMIT_AS bounds it
    lzma_ret status = lzma_stream_decoder_mt(&x->stream, &options);
    if (status != LZMA_OK) {
        archive_set_error(archive, status == LZMA_MEM_ERROR ? ENOMEM : -1, "cannot start liblzma's decoder: %s", describe(status));
        free(x);
        return ARCHIVE_FATAL;
    }
    x->fd = fd;
    x->compressed_read = compressed_read;
    x->decompressed = decompressed;
    *compressed_read = 0;
    *decompressed = 0;
    return archive_read_open(archive, x, NULL, read_callback, close_callback);
}
