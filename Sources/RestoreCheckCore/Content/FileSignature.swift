/// The magic numbers of common file formats: fixed bytes at a fixed offset that every file of the
/// format begins with (from each format's specification; offsets and bytes as in `file(1)`'s magic
/// database). The content check asks one question of them: does a random-looking file start like
/// *any* known format? A file that does is a format with compressed or encrypted payload working as
/// designed (a password-protected .docx is an OLE2 container; a .jpg that is really a HEIC starts
/// with an ISO-BMFF box); one that does not is noise, which is what ransomware leaves.
public enum FileSignature: String, Sendable, CaseIterable {
    case pdf, zip, ole2, jpeg, png, gif, tiff, bmp, riff, isoMedia, matroska, asf, gzip, compress, bzip2, xz, zstd,
        sevenZip, rar, sqlite, elf, pe, flac, ogg, mp3ID3, photoshop, postgresDump, lzip, bzip3, lzmaAlone, lz4, lzop, zpaq

    /// The formats whose signature `head` (a file's first bytes) carries. `tail`, the file's last
    /// bytes, may show a zip's end-of-central-directory record instead: a zip read from its end may
    /// start with anything (a self-extractor's stub, or mid-stream: the `.zip` of a split archive
    /// is its last volume).
    public static func matches(_ head: ArraySlice<UInt8>, tail: ArraySlice<UInt8> = []) -> FileSignature? {
        if let found = allCases.first(where: { $0.matches(head) }) { return found }
        return find([0x50, 0x4B, 0x05, 0x06], in: tail) ? .zip : nil
    }

    /// Whether `head`, a file's first bytes, starts like this format.
    public func matches(_ head: ArraySlice<UInt8>) -> Bool {
        let bytes = Array(head)
        func at(_ offset: Int, _ magic: [UInt8]) -> Bool {
            bytes.count >= offset + magic.count && bytes[offset..<offset + magic.count].elementsEqual(magic)
        }
        func text(_ offset: Int, _ magic: String) -> Bool { at(offset, Array(magic.utf8)) }
        switch self {
        // PDF readers accept the header anywhere in the first 1024 bytes (ISO 32000-1, annex H).
        case .pdf: return Self.find(Array("%PDF-".utf8), in: bytes.prefix(1024))
        case .zip: return at(0, [0x50, 0x4B, 0x03, 0x04]) || at(0, [0x50, 0x4B, 0x05, 0x06]) || at(0, [0x50, 0x4B, 0x07, 0x08])
        case .ole2: return at(0, [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
        case .jpeg: return at(0, [0xFF, 0xD8, 0xFF])
        case .png: return at(0, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        case .gif: return text(0, "GIF87a") || text(0, "GIF89a")
        case .tiff: return at(0, [0x49, 0x49, 0x2A, 0x00]) || at(0, [0x4D, 0x4D, 0x00, 0x2A])
        case .bmp: return text(0, "BM") && at(6, [0, 0, 0, 0])  // BITMAPFILEHEADER's reserved words are zero
        case .riff: return text(0, "RIFF")  // WAV, AVI, WebP
        // ISO base media (MP4, MOV, M4A, HEIC, AVIF, 3GP): a box type at offset 4.
        case .isoMedia: return ["ftyp", "moov", "mdat", "wide", "free", "skip", "pnot"].contains { text(4, $0) }
        case .matroska: return at(0, [0x1A, 0x45, 0xDF, 0xA3])  // MKV, WebM
        case .asf: return at(0, [0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11])  // WMA, WMV
        case .gzip: return at(0, [0x1F, 0x8B])
        case .compress: return at(0, [0x1F, 0x9D])
        case .bzip2: return text(0, "BZh")
        case .xz: return at(0, [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])
        // A zstd frame, or a skippable frame first (pzstd writes one): magic 0x184D2A5? little-endian.
        case .zstd: return at(0, [0x28, 0xB5, 0x2F, 0xFD]) || (bytes.count >= 4 && bytes[0] & 0xF0 == 0x50 && at(1, [0x2A, 0x4D, 0x18]))
        case .sevenZip: return at(0, [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C])
        case .rar: return text(0, "Rar!\u{1A}\u{07}")
        case .sqlite: return text(0, "SQLite format 3\u{0}")
        case .elf: return at(0, [0x7F, 0x45, 0x4C, 0x46])
        case .pe: return text(0, "MZ")
        case .flac: return text(0, "fLaC")
        case .ogg: return text(0, "OggS")
        case .mp3ID3: return text(0, "ID3")
        case .photoshop: return text(0, "8BPS")
        case .postgresDump: return text(0, "PGDMP")
        case .lzip: return text(0, "LZIP")
        case .bzip3: return text(0, "BZ3v1")
        // `xz --format=lzma`, `lzma`: a properties byte (lc + lp·9 + pb·45 < 225; 0x5D is every
        // preset's), then the dictionary size, little-endian, 2^n or 2^n + 2^(n-1) as the encoders write it.
        case .lzmaAlone:
            guard bytes.count >= 13, bytes[0] < 225 else { return false }
            let dictionary = UInt32(bytes[1]) | UInt32(bytes[2]) << 8 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 24
            let high = dictionary & ~(dictionary >> 1)  // dictionary's top bit alone, when it is 2^n or 2^n + 2^(n-1)
            return dictionary >= 4096 && (dictionary == high || dictionary == high | high >> 1)
        case .lz4: return at(0, [0x04, 0x22, 0x4D, 0x18])
        case .lzop: return at(0, [0x89, 0x4C, 0x5A, 0x4F, 0x00, 0x0D, 0x0A, 0x1A, 0x0A])
        case .zpaq: return text(0, "7kSt") || text(0, "zPQ")  // a journaling archive's block marker, or a streaming one
        }
    }

    private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Bool {
        guard haystack.count >= needle.count else { return false }
        var index = haystack.startIndex
        while index + needle.count <= haystack.endIndex {
            if haystack[index] == needle[0], haystack[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}
