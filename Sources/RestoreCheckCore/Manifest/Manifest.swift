import Glibc

/// The checksums captured at backup time: normalised path → SHA-256.
///
/// Accepted line forms (one manifest may mix them):
/// - GNU `sha256sum` / `shasum -a 256`: `<hex>  <path>` (text mode) and `<hex> *<path>` (binary mode),
///   including the `\`-prefixed escaped form sha256sum writes for names with `\` or a newline;
/// - BSD / `sha256sum --tag`: `SHA256 (<path>) = <hex>`, also with sha256sum's leading `\` for
///   escaped names (`\SHA256 (a\\b) = …`);
/// - PowerShell's relative paths (`.\dir\file`, from `Resolve-Path -Relative`), whose backslashes are
///   separators; upper-case hex (`Get-FileHash`) like lower-case.
///
/// Blank lines and `#` comments are skipped. Paths get the archive's normalisation (`./` removed) and,
/// because tar strips it too, a leading `/`: `sha256sum /srv/data/a` matches the tar entry `srv/data/a`.
/// A manifest that lists no file at all (empty, or only comments: a manifest step that ran where the
/// data was not mounted) is an error, never a manifest every archive agrees with.
public struct Manifest: Sendable {
    /// Where each name's digest is: names are kept only as 16-byte keys (see `NameKey`). The names
    /// themselves are needed again only to report missing entries, and are then re-read from the file
    /// (`forEachEntry`).
    private var slotByKey: [NameKey: Int32] = [:]
    private(set) var digests: ContiguousArray<SHA256Digest> = []

    public var count: Int { digests.count }
    /// SHA-256 of the manifest file's bytes as parsed (nil when parsed from memory): the evidence of
    /// which manifest a test was judged against, hashed from the very bytes the worker read.
    public private(set) var fileSHA256: SHA256Digest?

    /// The expected digest of `name`, as hex.
    public subscript(name: EntryName) -> String? { slot(of: NameKey(name)).map { digests[$0].description } }

    /// The slot (0..<count, in first-listed order) of a name, if listed.
    package func slot(of key: NameKey) -> Int? { slotByKey[key].map(Int.init) }

    /// A manifest line that could not be understood, or a manifest that could not be read (line 0).
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
    }

    /// Parses manifest bytes; `file` is used only in error messages.
    public init(parsing bytes: [UInt8], file: String) throws(ParseError) {
        var lines = LineSplitter(file: file)
        try withBytes(of: bytes) { (chunk) throws(ParseError) in
            try lines.feed(chunk) { (line, number) throws(ParseError) in try add(line, number: number, file: file) }
        }
        try lines.finish { (line, number) throws(ParseError) in try add(line, number: number, file: file) }
        try requireEntries(file: file)
    }

    /// Reads and parses a manifest file in fixed-size chunks: the file is never held whole, so a
    /// manifest of a million files costs its index (~70 bytes a line), not its text twice over.
    public init(contentsOfFile path: String) throws(ParseError) {
        // Sized before parsing: grown by doubling, the digest array and the index briefly held old
        // and new storage together, which made peak memory grow ~130 bytes a line instead of ~70
        // (worker peak RSS, medians of 5: 39.4 -> 43.2 MiB from 10k to 40k lines; now 39.8 -> 42.5).
        let capacity = try Self.entryCapacity(of: path)
        slotByKey.reserveCapacity(capacity)
        digests.reserveCapacity(capacity)
        var lines = LineSplitter(file: path)
        var hasher = SHA256()
        try Self.readChunks(of: path) { (chunk) throws(ParseError) in
            hasher.update(chunk)
            try lines.feed(chunk) { (line, number) throws(ParseError) in try add(line, number: number, file: path) }
        }
        try lines.finish { (line, number) throws(ParseError) in try add(line, number: number, file: path) }
        try requireEntries(file: path)
        fileSHA256 = hasher.finalize()
    }

    private func requireEntries(file: String) throws(ParseError) {
        guard count == 0 else { return }
        throw ParseError(file: file, line: 0, message: "lists no file (empty, or only blank lines and comments): nothing to verify against")
    }

    /// Calls `body` with every entry of the manifest file in file order (repeats included), until it
    /// returns false. For reporting by name what the index holds only as keys.
    package static func forEachEntry(inFile path: String, _ body: (EntryName, SHA256Digest) -> Bool) throws(ParseError) {
        var lines = LineSplitter(file: path)
        var stop = false
        func visit(_ line: UnsafeRawBufferPointer, _ number: Int) throws(ParseError) {
            guard !stop, let (name, digest) = try Self.entry(of: line, number: number, file: path) else { return }
            stop = !body(name, digest)
        }
        try readChunks(of: path) { (chunk) throws(ParseError) in try lines.feed(chunk, visit) }
        try lines.finish(visit)
    }

    /// How many entries the manifest file lists (repeats included): what `check-config` sizes coverage by.
    public static func countEntries(inFile path: String) throws(ParseError) -> Int {
        var count = 0
        try forEachEntry(inFile: path) { _, _ in
            count += 1
            return true
        }
        return count
    }

    /// The shortest line that holds an entry: 64 hex digits, two separator bytes and a one-byte path.
    static let shortestEntryLine = 67

    /// An upper bound on the entries in a manifest file: its line count, but never more than its size
    /// allows (a file of blank lines must not reserve memory for millions of entries).
    static func entryCapacity(of path: String) throws(ParseError) -> Int {
        var newlines = 0
        var bytes = 0
        var last: UInt8 = 0x0A
        try readChunks(of: path) { chunk in
            bytes += chunk.count
            last = chunk[chunk.count - 1]
            var start = chunk.baseAddress!
            let end = start + chunk.count
            while let found = memchr(start, 0x0A, end - start) {
                newlines += 1
                start = UnsafeRawPointer(found) + 1
            }
        }
        let lines = newlines + (last == 0x0A ? 0 : 1)
        return min(lines, bytes / shortestEntryLine + 1)
    }

    private mutating func add(_ line: UnsafeRawBufferPointer, number: Int, file: String) throws(ParseError) {
        guard let (name, digest) = try Self.entry(of: line, number: number, file: file) else { return }
        let key = NameKey(name)
        if let earlier = slotByKey[key] {
            guard digests[Int(earlier)] == digest else {
                throw ParseError(file: file, line: number, message: "'\(name)' listed twice with different checksums")
            }
            return
        }
        slotByKey[key] = Int32(digests.count)
        digests.append(digest)
    }

    /// One line's entry; nil for blank lines and comments.
    private static func entry(of raw: UnsafeRawBufferPointer, number: Int, file: String) throws(ParseError) -> (EntryName, SHA256Digest)? {
        var line = Array(raw)
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) || line.first == UInt8(ascii: "#") { return nil }
        var (path, digest) = try parseLine(line, file: file, line: number)
        if path.starts(with: [UInt8(ascii: "."), UInt8(ascii: "\\")]) {
            // PowerShell's `.\dir\file`: Windows separators. Only this form is rewritten: on Linux a
            // backslash is an ordinary character of a name.
            path = path.map { $0 == UInt8(ascii: "\\") ? UInt8(ascii: "/") : $0 }
        }
        switch EntryName.validate(EntryName.strippingRoot(path).bytes) {
        case .success(let name): return (name, digest)
        case .failure(let rejection): throw ParseError(file: file, line: number, message: "unusable path (\(rejection))")
        }
    }

    private static func readChunks(of path: String, _ body: (UnsafeRawBufferPointer) throws(ParseError) -> Void) throws(ParseError) {
        let fd: Int32
        switch SystemCalls.open(path, O_RDONLY | O_CLOEXEC) {
        case .success(let opened): fd = opened
        case .failure(let error): throw ParseError(file: path, line: 0, message: "cannot be read: \(error)")
        }
        defer { SystemCalls.close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            switch SystemCalls.read(fd, into: buffer) {
            case .failure(let error): throw ParseError(file: path, line: 0, message: "cannot be read: \(error)")
            case .success(0): return
            case .success(let count): try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            }
        }
    }

    private static func parseLine(_ line: [UInt8], file: String, line number: Int) throws(ParseError) -> ([UInt8], SHA256Digest) {
        let bsdPrefix = Array("SHA256 (".utf8)
        if line.first == UInt8(ascii: "\\"), line.dropFirst().starts(with: bsdPrefix) {
            // `sha256sum --tag` escapes a name holding `\` or a newline and marks the line with `\`.
            let (path, digest) = try parseLine(Array(line.dropFirst()), file: file, line: number)
            return (unescape(path), digest)
        }
        if line.starts(with: bsdPrefix) {
            // `SHA256 (path) = hex`: the path may itself contain ") = ", so split at the last one.
            let separator = Array(") = ".utf8)
            guard let split = lastRange(of: separator, in: line), split.lowerBound >= bsdPrefix.count else {
                throw ParseError(file: file, line: number, message: "expected 'SHA256 (path) = <64 hex digits>'")
            }
            guard let digest = SHA256Digest(hex: line[split.upperBound...]) else {
                throw ParseError(file: file, line: number, message: "checksum is not 64 hex digits")
            }
            return (Array(line[bsdPrefix.count..<split.lowerBound]), digest)
        }
        var body = line[...]
        let escaped = body.first == UInt8(ascii: "\\")
        if escaped { body = body.dropFirst() }
        guard body.count > 66, let digest = SHA256Digest(hex: body.prefix(64)) else {
            throw ParseError(
                file: file, line: number,
                message: "expected '<64 hex digits>  <path>' (sha256sum) or 'SHA256 (path) = <hex>'")
        }
        let separator = Array(body.dropFirst(64).prefix(2))
        guard separator == [0x20, 0x20] || separator == [0x20, UInt8(ascii: "*")] else {
            throw ParseError(file: file, line: number, message: "expected two spaces or ' *' after the checksum")
        }
        var path = Array(body.dropFirst(66))
        if escaped { path = unescape(path) }
        return (path, digest)
    }

    /// sha256sum's escaping: `\\` is a backslash, `\n` a newline (and, since coreutils 9, `\r`).
    private static func unescape(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "\\"), let next = iterator.next() else {
                out.append(byte)
                continue
            }
            switch next {
            case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "r"): out.append(UInt8(ascii: "\r"))
            default: out.append(next)
            }
        }
        return out
    }

    private static func lastRange(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard haystack.count >= needle.count else { return nil }
        for start in stride(from: haystack.count - needle.count, through: 0, by: -1)
        where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start..<start + needle.count
        }
        return nil
    }
}

/// Splits a byte stream into lines across chunk boundaries, numbering them from 1. A line split by a
/// chunk boundary is carried over; every other line is passed straight from the chunk, uncopied.
///
/// The text's encoding is decided by its first bytes, as Windows tools write it: a UTF-8 byte-order
/// mark is skipped, and UTF-16 (little- or big-endian, with its mark: PowerShell's `Out-File`,
/// Notepad's "Unicode") is transcoded to UTF-8 on the way; without a mark the text is UTF-8 bytes.
struct LineSplitter {
    private var carry: [UInt8] = []
    private var number = 0
    private var encoding: Encoding?
    /// The file, for the error an invalid UTF-16 text gets.
    private let file: String

    init(file: String) { self.file = file }

    private enum Encoding {
        case bytes
        case utf16(UTF16Decoder)
    }

    mutating func feed(
        _ chunk: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Int) throws(Manifest.ParseError) -> Void
    ) throws(Manifest.ParseError) {
        var chunk = chunk
        if encoding == nil {
            // A mark split across chunks is not handled: chunks are 256 KiB, marks 2–3 bytes.
            if chunk.starts(with: [0xEF, 0xBB, 0xBF]) {
                chunk = UnsafeRawBufferPointer(rebasing: chunk.dropFirst(3))
                encoding = .bytes
            } else if chunk.starts(with: [0xFF, 0xFE]) || chunk.starts(with: [0xFE, 0xFF]) {
                encoding = .utf16(UTF16Decoder(littleEndian: chunk[0] == 0xFF))
                chunk = UnsafeRawBufferPointer(rebasing: chunk.dropFirst(2))
            } else {
                encoding = .bytes
            }
        }
        guard case .utf16(var decoder) = encoding else { return try split(chunk, body) }
        guard let utf8 = decoder.decode(chunk) else {
            throw Manifest.ParseError(file: file, line: number + 1, message: "not valid UTF-16 (an unpaired surrogate)")
        }
        encoding = .utf16(decoder)
        try withBytes(of: utf8) { (bytes) throws(Manifest.ParseError) in try split(bytes, body) }
    }

    private mutating func split(
        _ chunk: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Int) throws(Manifest.ParseError) -> Void
    ) throws(Manifest.ParseError) {
        var start = 0
        while start < chunk.count {
            guard let newline = memchr(chunk.baseAddress! + start, 0x0A, chunk.count - start) else {
                carry.append(contentsOf: chunk[start...])
                return
            }
            let end = chunk.baseAddress!.distance(to: UnsafeRawPointer(newline))
            number += 1
            if carry.isEmpty {
                try body(UnsafeRawBufferPointer(rebasing: chunk[start..<end]), number)
            } else {
                carry.append(contentsOf: chunk[start..<end])
                let line = carry
                carry.removeAll(keepingCapacity: true)
                try withBytes(of: line) { (bytes) throws(Manifest.ParseError) in try body(bytes, number) }
            }
            start = end + 1
        }
    }

    /// The last line, if the stream does not end in a newline.
    mutating func finish(_ body: (UnsafeRawBufferPointer, Int) throws(Manifest.ParseError) -> Void) throws(Manifest.ParseError) {
        guard !carry.isEmpty else { return }
        number += 1
        let line = carry
        carry.removeAll()
        try withBytes(of: line) { (bytes) throws(Manifest.ParseError) in try body(bytes, number) }
    }
}

/// UTF-16 code units to UTF-8 bytes, a chunk at a time (an odd byte or a high surrogate at a chunk's
/// end waits for the next chunk).
struct UTF16Decoder {
    let littleEndian: Bool
    private var oddByte: UInt8?
    private var highSurrogate: UInt16?

    init(littleEndian: Bool) { self.littleEndian = littleEndian }

    /// The UTF-8 for `chunk`; nil for an unpaired surrogate.
    mutating func decode(_ chunk: UnsafeRawBufferPointer) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(chunk.count)
        var bytes = chunk.makeIterator()
        while true {
            guard let first = oddByte ?? bytes.next() else { break }
            oddByte = nil
            guard let second = bytes.next() else {
                oddByte = first
                break
            }
            let unit = littleEndian ? UInt16(second) << 8 | UInt16(first) : UInt16(first) << 8 | UInt16(second)
            let scalar: UInt32
            if let high = highSurrogate {
                guard (0xDC00...0xDFFF).contains(unit) else { return nil }
                highSurrogate = nil
                scalar = 0x10000 + (UInt32(high - 0xD800) << 10 | UInt32(unit - 0xDC00))
            } else if (0xD800...0xDBFF).contains(unit) {
                highSurrogate = unit
                continue
            } else if (0xDC00...0xDFFF).contains(unit) {
                return nil
            } else {
                scalar = UInt32(unit)
            }
            out.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(scalar)!)!)
        }
        return out
    }
}

/// `Array.withUnsafeBytes` keeping a typed error (its `rethrows` widens to `any Error`).
private func withBytes(
    of array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(Manifest.ParseError) -> Void
) throws(Manifest.ParseError) {
    let result = array.withUnsafeBytes { bytes in Result { () throws(Manifest.ParseError) in try body(bytes) } }
    try result.get()
}
