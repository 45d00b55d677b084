// ISA-L's inflate as a libarchive read callback: the one place restorecheck calls ISA-L.
// ISA-L is loaded with dlopen, so a host without libisal2 still runs (libarchive's zlib path is
// used); its header is needed at build time only for `struct inflate_state`'s layout.
#define _GNU_SOURCE
#include "CDecoders.h"
#include "compressed_input.h"
#include <archive.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// libarchive's own values (archive_private.h): damaged data, and "no errno".
#define RC_ERRNO_FILE_FORMAT EILSEQ
#define RC_ERRNO_MISC (-1)

#if __has_include(<isa-l/igzip_lib.h>)
#include <isa-l/igzip_lib.h>
#define RC_HAVE_ISAL 1
#else
#define RC_HAVE_ISAL 0
#endif

#if RC_HAVE_ISAL
static void (*p_init)(struct inflate_state *);
static void (*p_reset)(struct inflate_state *);
static int (*p_inflate)(struct inflate_state *);
static const char *load_error;
static int loaded = -1;

static int load(void) {
    if (loaded >= 0) return loaded;
    void *library = dlopen("libisal.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        load_error = "libisal.so.2 is not installed (Debian: libisal2)";
        return loaded = 0;
    }
    p_init = (void (*)(struct inflate_state *))dlsym(library, "isal_inflate_init");
    p_reset = (void (*)(struct inflate_state *))dlsym(library, "isal_inflate_reset");
    p_inflate = (int (*)(struct inflate_state *))dlsym(library, "isal_inflate");
    if (!p_init || !p_reset || !p_inflate) {
        load_error = "libisal.so.2 lacks isal_inflate";
        return loaded = 0;
    }
    return loaded = 1;
}
#endif

int rc_isal_available(const char **why) {
#if RC_HAVE_ISAL
    if (load()) return 1;
    if (why) *why = load_error;
    return 0;
#else
    if (why) *why = "built without ISA-L's header (Debian: libisal-dev)";
    return 0;
#endif
}

#if RC_HAVE_ISAL
enum { IN_SIZE = 128 * 1024, OUT_SIZE = 256 * 1024 };

struct gunzip {
    struct inflate_state state;
    int fd;
    int at_end_of_file;
    int finished;  // the last member ended and nothing that starts another follows
    int64_t *compressed_read;
    int64_t *decompressed;
    uint8_t in[IN_SIZE];
    uint8_t out[OUT_SIZE];
};

static void start_member(struct gunzip *g) {
    p_reset(&g->state);
    g->state.crc_flag = ISAL_GZIP;
}

static const char *describe(int status) {
    switch (status) {
    case ISAL_INCORRECT_CHECKSUM: return "gzip CRC-32 or size check failed";
    case ISAL_INVALID_WRAPPER: return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "gzip member with a compression method other than deflate";
    case ISAL_INVALID_BLOCK: return "invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK: return "invalid deflate distance";
    default: return "gzip data error";
    }
}

/// Reads more compressed input when ISA-L has consumed what it had. 0 at the end of the file.
static ssize_t refill(struct archive *archive, struct gunzip *g) {
    ssize_t count = rc_read_compressed(archive, g->fd, g->in, IN_SIZE, "gzip", g->compressed_read);
    if (count < 0) return -1;
    if (count == 0) g->at_end_of_file = 1;
    g->state.next_in = g->in;
    g->state.avail_in = (uint32_t)count;
    return count;
}

static la_ssize_t read_callback(struct archive *archive, void *data, const void **buffer) {
    struct gunzip *g = data;
    g->state.next_out = g->out;
    g->state.avail_out = OUT_SIZE;
    while (!g->finished && g->state.avail_out > 0) {
        if (g->state.block_state == ISAL_BLOCK_FINISH) {
            // A member ended: another follows only if the next bytes begin one.
            if (g->state.avail_in == 0 && !g->at_end_of_file && refill(archive, g) < 0) return -1;
            if (g->state.avail_in == 0) { g->finished = 1; break; }
            if (g->state.avail_in < 2 && !g->at_end_of_file) {
                // One byte of a possible header at the buffer's end: keep it and read on.
                uint8_t first = g->state.next_in[0];
                if (refill(archive, g) < 0) return -1;
                memmove(g->in + 1, g->in, g->state.avail_in);
                g->in[0] = first;
                g->state.next_in = g->in;
                g->state.avail_in += 1;
            }
            if (g->state.avail_in < 2 || g->state.next_in[0] != 0x1f || g->state.next_in[1] != 0x8b) {
                g->finished = 1;
                break;
            }
            uint8_t *next_in = g->state.next_in, *next_out = g->state.next_out;
            uint32_t avail_in = g->state.avail_in, avail_out = g->state.avail_out;
            start_member(g);
            g->state.next_in = next_in;
            g->state.avail_in = avail_in;
            g->state.next_out = next_out;
            g->state.avail_out = avail_out;
        }
        if (g->state.avail_in == 0) {
            if (g->at_end_of_file) {
                archive_set_error(archive, RC_ERRNO_FILE_FORMAT, "truncated gzip input");
                return -1;
            }
            if (refill(archive, g) < 0) return -1;
            continue;
        }
        uint32_t avail_in = g->state.avail_in, avail_out = g->state.avail_out;
        int block_state = g->state.block_state;
        int status = p_inflate(&g->state);
        if (status == ISAL_DECOMP_OK && avail_in == g->state.avail_in && avail_out == g->state.avail_out
            && block_state == (int)g->state.block_state) {
            // Never expected; without it a decoder that stalls would spin until the watchdog.
            status = ISAL_INVALID_BLOCK;
        }
        if (status < 0) {
            archive_set_error(archive, RC_ERRNO_FILE_FORMAT, "%s (ISA-L status %d)", describe(status), status);
            return -1;
        }
    }
    size_t produced = OUT_SIZE - g->state.avail_out;
    *g->decompressed += (int64_t)produced;
    *buffer = g->out;
    return (la_ssize_t)produced;
}

static int close_callback(struct archive *archive, void *data) {
    (void)archive;
    free(data);
    return ARCHIVE_OK;
}
#endif

int rc_isal_open_gzip(struct archive *archive, int fd, int64_t *compressed_read, int64_t *decompressed) {
#if RC_HAVE_ISAL
    if (!load()) {
        archive_set_error(archive, RC_ERRNO_MISC, "%s", load_error);
        return ARCHIVE_FATAL;
    }
    struct gunzip *g = calloc(1, sizeof *g);
    if (!g) {
        archive_set_error(archive, ENOMEM, "out of memory for the gzip decoder");
        return ARCHIVE_FATAL;
    }
    p_init(&g->state);
    g->state.crc_flag = ISAL_GZIP;
    g->fd = fd;
    g->compressed_read = compressed_read;
    g->decompressed = decompressed;
    *compressed_read = 0;
    *decompressed = 0;
    return archive_read_open(archive, g, NULL, read_callback, close_callback);
#else
    (void)fd; (void)compressed_read; (void)decompressed;
    archive_set_error(archive, RC_ERRNO_MISC, "built without ISA-L");
    return ARCHIVE_FATAL;
#endif
}
