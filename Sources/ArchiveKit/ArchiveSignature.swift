import Glibc

/// What an archive file is, judged from its first bytes alone, before libarchive parses anything.
///
/// Two questions need this: whether a file is a container libarchive can seek in (so a sample may
/// read small blocks and skip data), and, when libarchive finds no format it reads, whether the file
/// is a known format restorecheck does not read (RAR, ISO...: `unsupported_format`, the verifier's
/// limit) or unknown bytes (a damaged archive: `archive_corrupt`, the backup's fault).
public enum ArchiveSignature {
    /// A magic number at an offset, and the format it names.
    struct Magic {
        var offset: Int
        var bytes: [UInt8]
        var format: String
    }

    /// Formats libarchive could read but that are not enabled (see `ArchiveReader`), and formats no
    /// reader of libarchive's handles, which backup users still meet. Not a list of everything: an
    /// unknown file stays "corrupt", as it would be for any restore tool.
    static let unreadFormats: [Magic] = [
        Magic(offset: 0, bytes: Array("Rar!\u{1A}\u{07}".utf8), format: "RAR"),
        Magic(offset: 0x8001, bytes: Array("CD001".utf8), format: "ISO 9660 image"),
        Magic(offset: 0, bytes: Array("MSCF".utf8), format: "Microsoft Cabinet"),
        Magic(offset: 0, bytes: Array("xar!".utf8), format: "XAR"),
        Magic(offset: 0, bytes: Array("WARC/".utf8), format: "WARC"),
        Magic(offset: 0, bytes: Array("!<arch>\n".utf8), format: "ar"),
        Magic(offset: 0, bytes: Array("LRZI".utf8), format: "lrzip"),
        Magic(offset: 0, bytes: [0x89, 0x4C, 0x5A, 0x4F, 0x00, 0x0D, 0x0A, 0x1A, 0x0A], format: "lzop"),
        Magic(offset: 0, bytes: Array("GRZipII".utf8), format: "grzip"),
        Magic(offset: 0, bytes: [0xED, 0xAB, 0xEE, 0xDB], format: "RPM"),
        Magic(offset: 0, bytes: Array("hsqs".utf8), format: "SquashFS image"),
        Magic(offset: 0, bytes: Array("zPQ".utf8), format: "ZPAQ"),
        Magic(offset: 2, bytes: Array("-lh".utf8), format: "LHA"),
    ]

    /// The name of a known format restorecheck does not read, if the file at `path` starts like one.
    public static func unreadFormat(atPath path: String) -> String? {
        let head = Self.head(ofPath: path, count: 0x8001 + 5)
        return unreadFormats.first { magic in
            head.count >= magic.offset + magic.bytes.count
                && head[magic.offset..<(magic.offset + magic.bytes.count)].elementsEqual(magic.bytes)
        }?.format
    }

    /// Whether the file is an unfiltered container libarchive can seek in: zip (`PK`), tar (`ustar`
    /// at 257) or cpio (`0707`). A compressed stream is never seekable.
    public static func isSeekableContainer(atPath path: String) -> Bool {
        let head = Self.head(ofPath: path, count: 512)
        let zip = head.starts(with: [0x50, 0x4B])
        let tar = head.count >= 262 && head[257..<262].elementsEqual("ustar".utf8)
        let cpio = head.starts(with: Array("0707".utf8))
        return zip || tar || cpio
    }

    /// The window size a zstd file's first frame declares (RFC 8878, 3.1.1.1: the Window_Descriptor,
    /// or the content size of a single-segment frame), or nil when it does not start with one.
    public static func zstdWindow(atPath path: String) -> Int64? {
        let head = Self.head(ofPath: path, count: 14)
        guard head.count >= 6, head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) else { return nil }
        let descriptor = head[4]
        let singleSegment = descriptor & 0x20 != 0
        if !singleSegment {
            let window = head[5]
            let base = Int64(1) << (10 + Int64(window >> 3))
            return base + (base / 8) * Int64(window & 7)
        }
        // A single segment: the window is the content size, after the dictionary ID.
        let dictionaryBytes = [0, 1, 2, 4][Int(descriptor & 3)]
        let sizeBytes = [1, 2, 4, 8][Int(descriptor >> 6)]
        let start = 5 + dictionaryBytes
        guard head.count >= start + sizeBytes else { return nil }
        var size: Int64 = 0
        for (index, byte) in head[start..<(start + sizeBytes)].enumerated() { size |= Int64(byte) << (8 * Int64(index)) }
        return sizeBytes == 2 ? size + 256 : size
    }

    /// Whether `path` is a regular file (a pipe or a socket can be read once only).
    public static func isRegularFile(atPath path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }

    /// Up to `count` bytes from the start of the file (fewer for a short or unreadable file).
    static func head(ofPath path: String, count: Int) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, count - filled, off_t(filled)) }
            if got < 0, errno == EINTR { continue }
            if got <= 0 { break }
            filled += got
        }
        return Array(buffer[0..<filled])
    }
}
