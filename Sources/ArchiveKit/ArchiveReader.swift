import CArchive
import ArchiveFormats
import CDecoders
import Glibc

/// Reads an archive file entry by entry through libarchive.
///
/// Only the formats and filters that backup users have are enabled (tar variants, cpio, zip, 7z;
/// gzip, bzip2, xz, lzma, lzip, zstd, lz4). RAR, ISO, XAR, CAB, LHA, WARC and mtree readers are left
/// off on purpose: they carry most of libarchive's CVE history and no backup tool writes them. Such a
/// file fails with `.unsupported` naming its format (`ArchiveSignature`), never `.corrupt`.
///
/// The reader is `~Copyable` because it owns a `struct archive *`: exactly one owner frees it in
/// `deinit` (`archive_read_free`). It is not thread-safe (libarchive objects are not).
///
/// This type parses hostile input; call it only in the restore worker process, never in the daemon.
public struct ArchiveReader: ~Copyable {
    private let handle: OpaquePointer
    private var currentEntry: OpaquePointer?
    /// The file, to name a format libarchive does not recognise.
    private let path: String
    /// The archive's own name, for formats known by their name (see `init(path:name:)`).
    private let name: String?
    private var headersRead = 0
    /// Set for a directory tree read through `archive_read_disk`: its root, stripped from names.
    private let treeRoot: [UInt8]?
    /// Set when a decoder of our own feeds libarchive's format readers (ISA-L for gzip, liblzma's
    /// multi-threaded decoder for xz): the file's descriptor, the decoder's counters (compressed
    /// bytes read, decompressed bytes produced), the filter it stands for and its name.
    private let ownDecoder: OwnDecoder?
    /// Set for an archive read through range requests (`init(rangedDescriptor:size:name:)`): its
    /// counters (requests, bytes received, nanoseconds waited).
    private let ranged: UnsafeMutablePointer<Int64>?
    private struct OwnDecoder {
        var fd: Int32
        var counters: UnsafeMutablePointer<Int64>
        var kind: Compression
        var name: String
    }

    /// The compressions a decoder of our own can take over from libarchive's filters; the raw value
    /// is libarchive's filter name, which `filterNames` reports either way.
    private enum Compression: String {
        case gzip, xz
    }

    /// How many threads decode a multi-block .xz file (liblzma's multi-threaded decoder); 0 leaves
    /// xz to libarchive's single-threaded filter. Default: the machine's cores, or
    /// `RESTORECHECK_XZ_THREADS` (0 for the bench's before/after).
    public static var preferredXZThreads: Int {
        if let asked = getenv("RESTORECHECK_XZ_THREADS").flatMap({ Int(String(cString: $0)) }) { return max(0, asked) }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Above this much memory for its threads, liblzma decodes an .xz file in one thread instead.
    static let xzThreadingMemoryLimit: UInt64 = 256 << 20

    /// Who inflates gzip archives.
    public enum GzipDecoder: String, Sendable {
        /// Intel's ISA-L (`libisal`), in libarchive's read callback: ~2× zlib's speed here.
        case isal
        /// libarchive's own gzip filter (zlib).
        case zlib

        /// ISA-L when it is available, unless `RESTORECHECK_GZIP_DECODER=zlib` asks for zlib (the
        /// bench's before/after, and a way out should ISA-L ever misbehave on a host).
        public static var preferred: GzipDecoder {
            if let asked = getenv("RESTORECHECK_GZIP_DECODER").map({ String(cString: $0) }), asked == "zlib" { return .zlib }
            return isalUnavailableReason == nil ? .isal : .zlib
        }

        /// Why ISA-L cannot be used here; nil when it can.
        public static var isalUnavailableReason: String? {
            var why: UnsafePointer<CChar>?
            return rc_isal_available(&why) != 0 ? nil : why.map { String(cString: $0) } ?? "unavailable"
        }
    }

    /// Opens `path` for reading.
    ///
    /// - Parameter blockSize: the read size handed to `archive_read_open_filename`. 128–256 KiB
    ///   measured fastest; 1 MiB blocks cost ~0.4 s/GB more (cache misses in the decoders).
    /// - Parameter gzip: who inflates a gzip file (`GzipDecoder.preferred`: ISA-L where available).
    /// - Parameter xzThreads: threads for a multi-block .xz file (`preferredXZThreads`); 0: libarchive's filter.
    /// - Parameter name: the archive's own name when `path` does not carry it (`/proc/self/fd/3`):
    ///   a format without a signature (brotli) is known only by its name.
    /// - Parameter head: the archive's first bytes when `path` is a stream that cannot be peeked at
    ///   without consuming it (a pipe from object storage): they choose ISA-L or threaded xz as a
    ///   file's first bytes would.
    public init(
        path: String, name: String? = nil, blockSize: Int = 256 * 1024, gzip: GzipDecoder = .preferred,
        xzThreads: Int = ArchiveReader.preferredXZThreads, head: [UInt8]? = nil
    ) throws(ArchiveError) {
        try self.init(path: path, name: name, blockSize: blockSize, raw: false, gzip: gzip, xzThreads: xzThreads, head: head)
    }

    /// Opens a single compressed file (`x.sql.gz`, `x.json.xz`, `x.zst`) as one entry whose data is
    /// the decompressed stream: libarchive's raw format over the same decoders, which check each
    /// stream's own trailer (xz's check, zstd's checksum when present; gzip's CRC-32 and size only
    /// through ISA-L: libarchive 3.6's gzip filter reads the trailer without checking it).
    public init(compressedStreamAt path: String) throws(ArchiveError) {
        try self.init(path: path, name: nil, blockSize: 256 * 1024, raw: true, gzip: .preferred, xzThreads: 0)
    }

    private init(path: String, name: String?, blockSize: Int, raw: Bool, gzip: GzipDecoder, xzThreads: Int, head: [UInt8]? = nil) throws(ArchiveError) {
        guard let handle = archive_read_new() else {
            throw ArchiveError(code: .openFailed, message: "archive_read_new failed (out of memory)")
        }
        var wanted: Set<Compression> = []
        if gzip == .isal { wanted.insert(.gzip) }
        if xzThreads > 0 { wanted.insert(.xz) }
        if let (fd, kind) = Self.openCompressed(path, ifOneOf: wanted, head: head) {
            // Our decoder feeds libarchive's format readers (no filters): the tar or cpio inside, or
            // the stream itself as one entry (raw).
            if raw {
                archive_read_support_format_raw(handle)
            } else {
                archive_read_support_format_tar(handle)
                archive_read_support_format_cpio(handle)
            }
            let counters = UnsafeMutablePointer<Int64>.allocate(capacity: 2)
            counters.initialize(repeating: 0, count: 2)
            let status = switch kind {
            case .gzip: rc_isal_open_gzip(handle, fd, counters, counters + 1)
            case .xz: rc_xz_open_mt(handle, fd, UInt32(xzThreads), Self.xzThreadingMemoryLimit, counters, counters + 1)
            }
            if status != ARCHIVE_OK {
                let error = Self.unreadFormatError(path: path, name: name, Self.error(handle, path: path, code: .openFailed))
                archive_read_free(handle)
                counters.deallocate()
                close(fd)
                throw error
            }
            self.handle = handle
            self.path = path
            self.name = name
            treeRoot = nil
            ownDecoder = OwnDecoder(
                fd: fd, counters: counters, kind: kind, name: kind == .gzip ? "ISA-L" : "liblzma, \(xzThreads) threads")
            ranged = nil
            return
        }
        Self.supportFormatsAndFilters(handle, raw: raw)
        // Opening already chooses the format (`archive_read_open1` bids filters, then formats).
        if archive_read_open_filename(handle, path, blockSize) != ARCHIVE_OK {
            let error = Self.unreadFormatError(path: path, name: name, Self.error(handle, path: path, code: .openFailed))
            archive_read_free(handle)
            throw error
        }
        self.handle = handle
        self.path = path
        self.name = name
        treeRoot = nil
        ownDecoder = nil
        ranged = nil
    }

    /// Opens an archive of `size` bytes that the parent process serves through range requests on
    /// the socket `fd` (an object in a bucket; `rc_ranged_open`): libarchive seeks, so a zip's
    /// central directory, its local headers and the sampled members' data are all that is fetched.
    /// `name` names it in messages. The descriptor is not closed here.
    public init(rangedDescriptor fd: Int32, size: Int64, name: String?) throws(ArchiveError) {
        guard let handle = archive_read_new() else {
            throw ArchiveError(code: .openFailed, message: "archive_read_new failed (out of memory)")
        }
        Self.supportFormatsAndFilters(handle, raw: false)
        let counters = UnsafeMutablePointer<Int64>.allocate(capacity: 3)
        counters.initialize(repeating: 0, count: 3)
        let label = name ?? "the object"
        if rc_ranged_open(handle, fd, size, counters) != ARCHIVE_OK {
            let error = Self.error(handle, path: label, code: .openFailed)
            archive_read_free(handle)
            counters.deallocate()
            throw error
        }
        self.handle = handle
        self.path = label
        self.name = name
        treeRoot = nil
        ownDecoder = nil
        ranged = counters
    }

    /// Formats and filters: see the type's documentation for why this list is short.
    private static func supportFormatsAndFilters(_ handle: OpaquePointer, raw: Bool) {
        if raw {
            archive_read_support_format_raw(handle)
        } else {
            archive_read_support_format_tar(handle)  // ustar, pax, GNU (long names, sparse)
            archive_read_support_format_cpio(handle)
            archive_read_support_format_zip(handle)  // streamable and seekable (central directory)
            archive_read_support_format_7zip(handle)
        }
        archive_read_support_filter_gzip(handle)
        archive_read_support_filter_bzip2(handle)
        archive_read_support_filter_xz(handle)
        archive_read_support_filter_lzma(handle)
        archive_read_support_filter_lzip(handle)  // plain filters over liblzma, like xz
        archive_read_support_filter_zstd(handle)
        archive_read_support_filter_lz4(handle)
        archive_read_support_filter_compress(handle)  // .Z (compress, ncompress): libarchive's own decoder
    }

    /// For an archive read through range requests: how many were made and the bytes they brought.
    public var rangedReads: (requests: Int64, bytes: Int64)? { ranged.map { ($0[0], $0[1]) } }

    /// Seconds spent waiting for range requests' answers (0 for any other archive).
    public var storeWaitSeconds: Double { ranged.map { Double($0[2]) / 1e9 } ?? 0 }

    /// The file, open, when it begins as a gzip member (1f 8b 08: deflate) or an .xz stream does and
    /// that compression is one of `wanted`, with which; nil (and nothing left open) for anything
    /// else, which libarchive's filters and formats then bid on as usual.
    private static func openCompressed(_ path: String, ifOneOf wanted: Set<Compression>, head: [UInt8]?) -> (Int32, Compression)? {
        guard !wanted.isEmpty else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var magic = [UInt8](repeating: 0, count: 6)
        let count: Int
        if let head {
            count = min(6, head.count)
            magic.replaceSubrange(0..<count, with: head.prefix(count))
        } else {
            count = pread(fd, &magic, 6, 0)
        }
        let found: Compression? =
            if count >= 3, magic[0..<3] == [0x1f, 0x8b, 0x08] { .gzip }
            else if count == 6, magic == [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] { .xz }
            else { nil }
        if let found, wanted.contains(found) { return (fd, found) }
        close(fd)
        return nil
    }

    /// Reads a directory tree that a backup tool restored (`archive_read_disk`), entry by entry like
    /// an archive: names relative to `directory`, symlinks reported as links and never followed,
    /// mount points not crossed, and no extended attributes, ACLs, flags or sparse maps read (a
    /// restored file's bytes are what is verified). Data blocks come from each file in turn.
    public init(directory: String) throws(ArchiveError) {
        guard let handle = archive_read_disk_new() else {
            throw ArchiveError(code: .openFailed, message: "archive_read_disk_new failed (out of memory)")
        }
        archive_read_disk_set_symlink_physical(handle)
        archive_read_disk_set_behavior(
            handle, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS | ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL
                | ARCHIVE_READDISK_NO_FFLAGS | ARCHIVE_READDISK_NO_SPARSE)
        if archive_read_disk_open(handle, directory) != ARCHIVE_OK {
            let error = Self.error(handle, path: nil, code: .openFailed)
            archive_read_free(handle)
            throw error
        }
        self.handle = handle
        self.path = directory
        self.name = nil
        treeRoot = Array(directory.utf8)
        ownDecoder = nil
        ranged = nil
    }

    deinit {
        archive_read_free(handle)
        if let ownDecoder {
            ownDecoder.counters.deallocate()
            close(ownDecoder.fd)
        }
        ranged?.deallocate()
    }

    /// Advances to the next header (`archive_read_next_header`); nil at the end of the archive.
    ///
    /// A damaged header throws `.corrupt` (libarchive cannot resynchronise after `ARCHIVE_FATAL`,
    /// and cannot read the entry's data after `ARCHIVE_FAILED` or `ARCHIVE_RETRY`). `ARCHIVE_WARN`
    /// (e.g. a name that did not convert to the locale) still yields the entry.
    public mutating func nextEntry() throws(ArchiveError) -> ArchiveEntry? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(handle, &entry)
        switch status {
        case ARCHIVE_EOF:
            currentEntry = nil
            if treeRoot != nil { return nil }
            // An ISO image starts with 32 KiB of zeros, which the tar reader takes for an empty tar.
            if headersRead == 0, let format = ArchiveSignature.unreadFormat(atPath: path, name: name) {
                throw Self.unsupported(format, because: "no entries in any format restorecheck reads")
            }
            return nil
        case ARCHIVE_OK, ARCHIVE_WARN:
            break
        case ARCHIVE_FAILED, ARCHIVE_RETRY:
            // libarchive leaves its state at "header" after either (archive_read.c sets "data" only
            // for OK and WARN): the entry's data cannot be read, and a read would only give its
            // "INTERNAL ERROR … invoked in state 'header'" in place of the real message, and the
            // half-read entry (no name) would be judged as one. So the damage ends the pass here,
            // with libarchive's words ("Damaged tar archive", a header checksum).
            throw Self.error(handle, path: path, code: .corrupt)
        default:
            let error = Self.error(handle, path: path, code: .corrupt)
            throw headersRead == 0 ? Self.unreadFormatError(path: path, name: name, error) : error
        }
        guard let entry else { throw Self.error(handle, path: path, code: .corrupt) }
        currentEntry = entry
        headersRead += 1
        guard let treeRoot else {
            var copied = Self.copy(entry)
            if formatFamily == .zip { copied.pathname = ZipNameEncoding.utf8(copied.pathname) }
            return copied
        }
        // A tree is walked only where asked: into each directory as its header is read.
        if archive_read_disk_can_descend(handle) != 0 { archive_read_disk_descend(handle) }
        var copied = Self.copy(entry)
        copied.pathname = Self.relative(copied.pathname, to: treeRoot)
        return copied
    }

    /// A tree entry's name below `root` ("." for the root itself).
    static func relative(_ name: [UInt8], to root: [UInt8]) -> [UInt8] {
        guard name.starts(with: root) else { return name }
        let rest = name.dropFirst(root.count).drop { $0 == UInt8(ascii: "/") }
        return rest.isEmpty ? [UInt8(ascii: ".")] : Array(rest)
    }

    /// One block of an entry's data. `bytes` is valid only until the next call on the reader.
    public struct DataBlock {
        /// Offset of `bytes` within the entry; greater than the bytes delivered so far for sparse holes.
        public var offset: Int64
        public var bytes: UnsafeRawBufferPointer
    }

    /// The next block of the current entry's data (`archive_read_data_block`), nil after the last.
    ///
    /// libarchive owns the buffer: "the pointer is valid only until the next call". A CRC or
    /// decompression error throws `.entryFailed` (also for `ARCHIVE_WARN`, which is how a bad zip CRC
    /// arrives) or `.corrupt`; encrypted data throws `.encrypted`.
    public func readBlock() throws(ArchiveError) -> DataBlock? {
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        let status = archive_read_data_block(handle, &buffer, &size, &offset)
        switch status {
        case ARCHIVE_EOF:
            return nil
        case ARCHIVE_OK:
            return DataBlock(offset: offset, bytes: UnsafeRawBufferPointer(start: buffer, count: size))
        case ARCHIVE_WARN, ARCHIVE_FAILED, ARCHIVE_RETRY:
            // WARN on data is not cosmetic: the zip reader reports "ZIP bad CRC" this way, after the
            // entry's last byte. Treat every data warning as a failed entry, never as a pass.
            let encrypted = currentEntry.map { archive_entry_is_data_encrypted($0) != 0 } ?? false
            throw Self.error(handle, path: path, code: encrypted ? .encrypted : .entryFailed)
        default:
            throw Self.error(handle, path: path, code: .corrupt)
        }
    }

    /// Skips the current entry's data (`archive_read_data_skip`): a seek where the format allows it
    /// (plain tar, zip through the central directory), a decode-and-discard otherwise; nothing in a
    /// tree, whose next header moves to the next file.
    public func skipData() throws(ArchiveError) {
        // A tree's reader has nothing to seek past (and libarchive's disk reader has no skip).
        guard treeRoot == nil else { return }
        let status = archive_read_data_skip(handle)
        if status == ARCHIVE_FATAL { throw Self.error(handle, path: path, code: .corrupt) }
    }

    /// Bytes consumed from the archive file so far (`archive_filter_bytes(a, -1)`).
    public var compressedBytesRead: Int64 {
        if let ownDecoder { return ownDecoder.counters.pointee }
        return treeRoot == nil ? archive_filter_bytes(handle, -1) : 0
    }

    /// Bytes produced by the decompression filters so far (`archive_filter_bytes(a, 0)`): the
    /// uncompressed stream the format reader sees. With `compressedBytesRead` it gives the ratio
    /// that detects decompression bombs.
    public var uncompressedBytesRead: Int64 {
        if let ownDecoder { return ownDecoder.counters[1] }
        return treeRoot == nil ? archive_filter_bytes(handle, 0) : 0
    }

    /// Whether the archive stream passes through a decompression filter (tar.gz, tar.zst...). In a
    /// filtered stream skipping an entry means decoding it: there is nothing to seek past.
    public var isFiltered: Bool {
        if ownDecoder != nil { return true }
        guard treeRoot == nil else { return false }
        let count = archive_filter_count(handle)
        guard count > 0 else { return false }
        for index in 0..<count where archive_filter_code(handle, index) != ARCHIVE_FILTER_NONE {
            return true
        }
        return false
    }

    /// libarchive's name for the detected format ("GNU tar format", "ZIP 2.0 (deflation)"...), after
    /// the first header has been read.
    public var formatName: String {
        if treeRoot != nil { return "restored directory tree" }
        return archive_format_name(handle).map { String(cString: $0) } ?? "unknown"
    }

    /// libarchive's format code family (`ARCHIVE_FORMAT_BASE_MASK` applied).
    public var formatFamily: Format {
        if treeRoot != nil { return .directoryTree }
        return Format(code: archive_format(handle) & ARCHIVE_FORMAT_BASE_MASK)
    }

    /// Who decoded a compressed archive when it was not libarchive's own filter: "ISA-L" (gzip), or
    /// "liblzma, N threads" (xz); nil otherwise.
    public var ownDecoderName: String? { ownDecoder?.name }

    /// Whether the decoder keeps a queue of decoded blocks of its own (liblzma's threads), so that
    /// a deep queue behind it only adds memory.
    public var decoderQueuesAhead: Bool { ownDecoder?.kind == .xz }

    /// Names of the filters, outermost first ("gzip", "zstd"); empty for an unfiltered archive.
    public var filterNames: [String] {
        if let ownDecoder { return [ownDecoder.kind.rawValue] }
        guard treeRoot == nil else { return [] }
        let count = archive_filter_count(handle)
        guard count > 0 else { return [] }
        return (0..<count).reversed().compactMap { index -> String? in
            guard archive_filter_code(handle, index) != ARCHIVE_FILTER_NONE,
                let name = archive_filter_name(handle, index)
            else { return nil }
            return String(cString: name)
        }
    }

    /// The archive format families restorecheck distinguishes.
    public enum Format: Sendable, Hashable {
        case tar, cpio, zip, sevenZip, other(Int32)
        /// A directory tree a backup tool restored (`init(directory:)`).
        case directoryTree
        init(code: Int32) {
            switch code {
            case ARCHIVE_FORMAT_TAR: self = .tar
            case ARCHIVE_FORMAT_CPIO: self = .cpio
            case ARCHIVE_FORMAT_ZIP: self = .zip
            case ARCHIVE_FORMAT_7ZIP: self = .sevenZip
            default: self = .other(code)
            }
        }
    }

    /// Before the first header, "no format recognised" is damage unless the file is a known format
    /// we leave off: then it is the reader's limit, and the error says which format.
    private static func unreadFormatError(path: String, name: String?, _ error: ArchiveError) -> ArchiveError {
        guard let format = ArchiveSignature.unreadFormat(atPath: path, name: name) else { return error }
        return unsupported(format, because: error.message, errno: error.errno)
    }

    private static func unsupported(_ format: String, because reason: String, errno: Int32 = 0) -> ArchiveError {
        ArchiveError(code: .unsupported, message: "\(format): a format restorecheck does not read (\(reason))", errno: errno, isFatal: true)
    }

    /// zstd's words (through libarchive) for a frame whose window is above the decoder's limit.
    static let zstdWindowMessage = "Frame requires too much memory for decoding"

    /// libarchive's messages for data it cannot decode because it lacks the codec, not because the
    /// data is damaged (libarchive gives these no errno of their own: `ARCHIVE_ERRNO_MISC`).
    static let unsupportedMessagePrefixes = [
        "Unknown codec ID", "Unsupported filter", "Unsupported ZIP compression method", "Unsupported form of BCJ2",
        "Crypto codec not supported", "Compression method not supported", "Unsupported compression method",
        "Unexpected codec ID",  // 7-Zip 23's automatic ARM64 filter, which libarchive 3.6 does not know
    ]

    /// Classifies libarchive's current error: `ENOMEM` is out of memory (a limit), a missing codec is
    /// unsupported, encryption is encrypted; otherwise `code` as the caller judged the status. A
    /// `.corrupt` status (`ARCHIVE_FATAL`) stays fatal whatever the cause.
    private static func error(_ handle: OpaquePointer, path: String?, code: ArchiveError.Code) -> ArchiveError {
        var message = archive_error_string(handle).map { String(cString: $0) } ?? "unknown libarchive error"
        let number = archive_errno(handle)
        let fatal = code == .corrupt
        var code = code
        if number == ENOMEM {
            code = .outOfMemory
        } else if message.localizedStandardContainsEncryption {
            code = .encrypted
        } else if message.contains(zstdWindowMessage) {
            // `zstd --long=31` declares a 2 GiB window; libarchive 3.6's zstd filter keeps zstd's
            // default limit (128 MiB) and offers no option to raise it. The backup is fine: say so.
            code = .unsupported
            let window = path.flatMap(ArchiveSignature.zstdWindow(atPath:)).map { "a \($0 >> 20) MiB window (as `zstd --long` makes)" }
            let limit = "\(ArchiveSignature.zstdWindowLimit >> 20) MiB"
            message = "a zstd frame with \(window ?? "a window larger than \(limit) (as `zstd --long` makes)"), more than libarchive's zstd "
                + "decoder reads (\(limit)): restorecheck cannot read it, which says nothing of the backup (\(message))"
        } else if unsupportedMessagePrefixes.contains(where: { message.contains($0) })
            || message.hasSuffix("compression not supported on this platform")
        {
            code = .unsupported
        }
        return ArchiveError(code: code, message: message, errno: number, isFatal: fatal)
    }

    private static func copy(_ entry: OpaquePointer) -> ArchiveEntry {
        let kind: ArchiveEntry.Kind
        let hardlink = archive_entry_hardlink(entry)
        if hardlink != nil {
            // In tar a hardlink header has the regular type but names an earlier entry.
            kind = .hardlink
        } else {
            kind = ArchiveEntry.Kind(fileType: UInt32(archive_entry_filetype(entry)))
        }
        let target: [UInt8]? =
            if let hardlink { bytes(hardlink) } else if let symlink = archive_entry_symlink(entry) {
                bytes(symlink)
            } else { nil }
        var copied = ArchiveEntry(
            pathname: archive_entry_pathname(entry).map(bytes) ?? [],
            kind: kind,
            declaredSize: archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil,
            modificationTime: archive_entry_mtime_is_set(entry) != 0 ? Int64(archive_entry_mtime(entry)) : nil,
            linkTarget: target,
            isEncrypted: archive_entry_is_encrypted(entry) != 0,
            isSparse: archive_entry_sparse_count(entry) > 0,
            permissions: UInt32(archive_entry_perm(entry)),
            linkCount: UInt32(archive_entry_nlink(entry))
        )
        copied.owner = archive_entry_uid(entry)
        copied.group = archive_entry_gid(entry)
        if archive_entry_xattr_reset(entry) > 0 {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK, let name {
                let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                copied.extendedAttributes.append(ExtendedAttribute(name: Self.bytes(name), value: bytes))
            }
        }
        copied.hasACL = archive_entry_acl_count(entry, ARCHIVE_ENTRY_ACL_TYPE_ACCESS | ARCHIVE_ENTRY_ACL_TYPE_DEFAULT | ARCHIVE_ENTRY_ACL_TYPE_ALLOW | ARCHIVE_ENTRY_ACL_TYPE_DENY) > 0
        return copied
    }

    private static func bytes(_ pointer: UnsafePointer<CChar>) -> [UInt8] {
        let length = strlen(pointer)
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }
}

extension String {
    /// libarchive reports some encryption cases only in the message ("Encrypted file is unsupported",
    /// "The file content is encrypted, but currently not supported").
    fileprivate var localizedStandardContainsEncryption: Bool {
        lowercased().contains("encrypt") || lowercased().contains("passphrase")
    }
}
