#ifndef RESTORECHECK_CDECODERS_H
#define RESTORECHECK_CDECODERS_H
#include <stdint.h>

struct archive;

/// Whether ISA-L's inflate can be used here: built with its header (Debian: libisal-dev) and its
/// library loadable at run time (libisal.so.2). The reason when not, for messages.
int rc_isal_available(const char **why);

/// Opens `fd` (a gzip file, one or more members) on `archive` through archive_read_open: ISA-L
/// inflates it in the read callback and libarchive's format readers see the decompressed stream.
/// Each member's header is parsed and its trailer (CRC-32 and size) checked by ISA-L; a stream that
/// ends inside a member is "truncated gzip input". Bytes after the last member that do not begin a
/// new member are ignored, as libarchive's own gzip filter does. The fd is not closed here.
/// Returns archive_read_open's status; the decoder's counters are read with the functions below.
int rc_isal_open_gzip(struct archive *archive, int fd, int64_t *compressed_read, int64_t *decompressed);

/// Opens `fd` (an .xz file, one or more streams) on `archive` through archive_read_open, decoded by
/// liblzma's multi-threaded decoder (liblzma 5.4+) on `threads` threads: a stream of several
/// blocks with sizes in their headers (as `xz -T0` writes them) is decoded block-parallel, others
/// as by the single-threaded decoder. Each block's check and the stream's index are verified;
/// a stream that ends early is "truncated xz input". `memlimit_threading`: above this, liblzma
/// decodes in one thread instead. The fd is not closed here.
int rc_xz_open_mt(struct archive *archive, int fd, uint32_t threads, uint64_t memlimit_threading,
                  int64_t *compressed_read, int64_t *decompressed);

/// Opens an archive of `size` bytes read at random through range requests on the socket `fd`
/// (ranged_input.c gives the wire format; the parent answers from object storage): libarchive's
/// read, seek and skip callbacks, so a zip's central directory and its sampled members are all
/// that is fetched. Reads after a seek start at 512 bytes and double up to 8 MiB while reading on.
/// `counters[0..2]` count the requests, the bytes received and the nanoseconds spent waiting for
/// them (the projection takes the wait out: it is the store's time, not the restore's). The fd is
/// not closed here.
int rc_ranged_open(struct archive *archive, int fd, int64_t size, int64_t *counters);

#endif
