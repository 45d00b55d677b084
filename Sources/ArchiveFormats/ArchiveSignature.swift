import Glibc

/// A path's directory and last component, without Foundation (this module links only Glibc).
private struct PathParts {
    let path: String
    var directory: String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
    var name: String { path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path }
}

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
        Magic(offset: 0, bytes: Array("7kSt".utf8), format: "ZPAQ journaling archive"),
        Magic(offset: 0, bytes: Array("BZ3v1".utf8), format: "bzip3"),
        Magic(offset: 0, bytes: Array("-----BEGIN PGP MESSAGE-----".utf8), format: "OpenPGP-encrypted file (gpg --armor)"),
        Magic(offset: 2, bytes: Array("-lh".utf8), format: "LHA"),
    ]

    /// The name of a known format restorecheck does not read, if the file at `path` starts like one
    /// (or, for brotli, which has no signature, is named like one).
    public static func unreadFormat(atPath path: String, name: String? = nil) -> String? {
        let head = Self.head(ofPath: path, count: 0x8001 + 5)
        if let format = unreadFormats.first(where: { magic in
            head.count >= magic.offset + magic.bytes.count
                && head[magic.offset..<(magic.offset + magic.bytes.count)].elementsEqual(magic.bytes)
        })?.format {
            return format
        }
        if isOpenPGPMessage(head) { return "OpenPGP-encrypted file (gpg)" }
        let named = (name ?? path).lowercased()
        if named.hasSuffix(".br") || named.hasSuffix(".brotli") {
            return "brotli-compressed file (judged by its name: brotli has no signature)"
        }
        return nil
    }

    /// Whether `head` starts with the packet a gpg-encrypted file starts with (RFC 4880, 4.2 and
    /// 5.1/5.3): a public-key (tag 1, version 3) or symmetric-key (tag 3, version 4 or 5, a cipher
    /// 1–13, an S2K type 0, 1 or 3) encrypted session key, in the old or new packet format.
    static func isOpenPGPMessage(_ head: [UInt8]) -> Bool {
        guard let first = head.first, first & 0x80 != 0 else { return false }
        let tag: UInt8
        let bodyStart: Int
        if first & 0x40 != 0 {
            tag = first & 0x3F
            guard head.count > 1, head[1] < 192 else { return false }
            bodyStart = 2
        } else {
            tag = (first >> 2) & 0x0F
            switch first & 0x03 {
            case 0: bodyStart = 2
            case 1: bodyStart = 3
            default: return false
            }
        }
        guard head.count > bodyStart + 3 else { return false }
        let body = head[bodyStart...]
        switch tag {
        case 1: return body.first == 3
        case 3:
            let version = body[body.startIndex]
            let cipher = body[body.startIndex + 1]
            let s2k = body[body.startIndex + 2]
            return (version == 4 || version == 5) && (1...13).contains(cipher) && [0, 1, 3].contains(s2k)
        default: return false
        }
    }

    /// What a file is when it is one volume of a split archive, whose siblings hold the rest: a
    /// `zip -s` volume (`x.z01`…, and `x.zip`, the last, beside `x.z01`) or a numbered byte split
    /// (`x.7z.001`, `x.tar.002`, as `7z -v` and `split -d` make them) with the next or previous
    /// number beside it. Nil for anything else (a lone `backup.001` is not split).
    public static func splitVolume(atPath path: String) -> String? {
        let url = PathParts(path: path)
        let directory = url.directory
        let name = url.name
        let lowered = name.lowercased()
        func exists(_ sibling: String) -> Bool { access(directory + "/" + sibling, F_OK) == 0 }
        let digits = { (text: Substring) in !text.isEmpty && text.allSatisfy { ("0"..."9").contains($0) } }
        if let dot = lowered.lastIndex(of: ".") {
            let stem = String(name[..<dot])
            let suffix = lowered[lowered.index(after: dot)...]
            if suffix == "zip", exists(stem + ".z01") || exists(stem + ".Z01") {
                return "the last volume of a split zip (zip -s; its other volumes are beside it)"
            }
            if suffix.first == "z", suffix.count >= 3, digits(suffix.dropFirst()) {
                return "volume \(suffix.dropFirst()) of a split zip (zip -s)"
            }
            if suffix.count >= 3, digits(suffix), let number = Int(suffix) {
                let width = suffix.count
                let neighbour = { (n: Int) in stem + "." + String(repeating: "0", count: max(0, width - String(n).count)) + String(n) }
                if exists(neighbour(number + 1)) || (number > 0 && exists(neighbour(number - 1))) {
                    return "volume \(suffix) of an archive split into volumes (7z -v, split)"
                }
            }
        }
        return nil
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

    /// Whether a file starting with `head` is a format whose index is at its end (zip's central
    /// directory, 7z's header): read as a stream it is read differently (zip: local headers only)
    /// or not at all (7z), so it must be read from a seekable file.
    public static func needsRandomAccess(head: [UInt8]) -> Bool {
        head.starts(with: [0x50, 0x4B]) || head.starts(with: [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C])
    }

    /// The largest zstd window libarchive 3.6's filter decodes (zstd's default `ZSTD_WINDOWLOG_LIMIT_DEFAULT`, 2^27).
    public static let zstdWindowLimit: Int64 = 1 << 27

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
