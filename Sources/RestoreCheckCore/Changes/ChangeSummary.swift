import Foundation

/// A restore point's manifest, summarised for comparison with the next one (README "Changes between
/// restore points"): file count, total bytes, files per extension, and per file a keyed hash of its
/// name with a short prefix of its digest. Plus, per target, what comparisons need from the past:
/// every extension ever seen and the changed shares of earlier points.
///
/// Kept in `state_dir/changes/<target>.summary` (mode 0600), little-endian:
///
///     8 bytes   magic "RCCHG1\n\0"
///    16 bytes   SipHash-2-4 key (random, made with the first summary)
///    32 bytes   SHA-256 of the manifest summarised
///     8 + 8     files, bytes (the archive's declared sizes of its regular files)
///     4 + 8×h   h changed shares of earlier points, oldest first (at most `historyLimit`)
///     4 + …     extensions ever seen: count, then each as a length byte and its bytes
///     4 + …     files per extension of this point: count, then length byte, bytes, 4-byte count
///     8 + 8×n   n entries, sorted: the name's keyed hash (48 bits) above the digest's first 16 bits
///
/// 8 bytes per file: 48-bit hashes of a million names collide with a chance of ~0.2 %, and a 16-bit
/// digest prefix misses one changed file in 65,536; both only nudge a share, never decide one.
public struct ChangeSummary: Sendable, Hashable {
    public static let magic = Array("RCCHG1\n\0".utf8)
    public static let historyLimit = 30
    /// Extensions remembered per target; beyond this a target's names are not extension-like anyway.
    public static let seenExtensionLimit = 4_096

    public var key: [UInt8]
    public var manifestSHA256: [UInt8]
    public var files: Int
    public var bytes: Int64
    public var changedHistory: [Double]
    public var seenExtensions: Set<String>
    public var extensionCounts: [String: Int]
    /// Sorted.
    public var entries: [UInt64]

    /// Why a summary could not be made or read.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var message: String
        public var description: String { "change summary \(path): \(message)" }
    }

    /// Summarises the manifest at `manifestPath` under `key` (streamed: 8 bytes per entry are kept).
    public static func of(manifest manifestPath: String, bytes: Int64, key: [UInt8]) throws(Failure) -> ChangeSummary {
        let hash = SipHash(key: key)
        var entries: [UInt64] = []
        var counts: [String: Int] = [:]
        var digester = SHA256()
        do {
            try Manifest.forEachEntry(inFile: manifestPath) { name, digest in
                entries.append(hash.hash(name.bytes) & ~0xFFFF | digest.words.0 >> 48)
                counts[Self.fileExtension(name), default: 0] += 1
                return true
            }
        } catch {
            throw Failure(path: manifestPath, message: "\(error)")
        }
        // The manifest's digest, read in chunks: this runs in the daemon, which must not hold a
        // large manifest whole.
        guard let handle = FileHandle(forReadingAtPath: manifestPath) else { throw Failure(path: manifestPath, message: "cannot be read") }
        defer { try? handle.close() }
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { digester.update($0) }
        }
        entries.sort()
        return ChangeSummary(
            key: key, manifestSHA256: digester.finalize().bytes, files: entries.count, bytes: bytes, changedHistory: [],
            seenExtensions: Set(counts.keys), extensionCounts: counts, entries: entries)
    }

    /// A name's extension as the rules count it: the last one, lowercased, up to 16 bytes; "" for none.
    ///
    /// A suffix that numbers a version is not an extension (""): a number (`app.log.1` … `.40`,
    /// numbered log rotation) or a Unix time with at most one letter before it (`notes.txt.v1764400613`,
    /// Nextcloud's version files; 9 to 13 digits, seconds or milliseconds). Each rotation makes a
    /// new one, and counted as extensions they looked like ransomware's random extensions. A random
    /// extension (`.x12345`) still counts: its digits are too few for a time.
    static func fileExtension(_ name: EntryName) -> String {
        guard let (ext, _) = EntryName.lastExtension(of: name.baseName), ext.count <= 16 else { return "" }
        if isVersionNumber(ext) { return "" }
        return String(decoding: ext, as: UTF8.self).lowercased()
    }

    static func isVersionNumber(_ ext: ArraySlice<UInt8>) -> Bool {
        let isDigit = { (byte: UInt8) in (0x30...0x39).contains(byte) }
        if ext.allSatisfy(isDigit) { return true }
        guard let first = ext.first, (0x61...0x7A).contains(first | 0x20) else { return false }  // an ASCII letter, either case
        let digits = ext.dropFirst()
        return (9...13).contains(digits.count) && digits.allSatisfy(isDigit)
    }

    // MARK: File

    public static func load(_ path: String) throws(Failure) -> ChangeSummary? {
        let read: [UInt8]?
        do { read = try StateFile.read(path) } catch { throw Failure(path: path, message: error.message) }
        guard let bytes = read else { return nil }
        var reader = StateFile.Reader(bytes)
        guard let magic = reader.take(8), magic == Self.magic, let key = reader.take(16), let sha = reader.take(32),
            let files = reader.word(8), let bytes = reader.word(8), let historyCount = reader.word(4), historyCount <= historyLimit
        else { throw Failure(path: path, message: "not a restorecheck change summary, or damaged") }
        var history: [Double] = []
        for _ in 0..<historyCount {
            guard let bits = reader.word(8) else { throw Failure(path: path, message: "truncated") }
            history.append(Double(bitPattern: bits))
        }
        guard let seenCount = reader.word(4), seenCount <= seenExtensionLimit else { throw Failure(path: path, message: "damaged") }
        var seen = Set<String>()
        for _ in 0..<seenCount {
            guard let text = reader.text() else { throw Failure(path: path, message: "truncated") }
            seen.insert(text)
        }
        guard let countCount = reader.word(4) else { throw Failure(path: path, message: "truncated") }
        var counts: [String: Int] = [:]
        for _ in 0..<countCount {
            guard let text = reader.text(), let count = reader.word(4) else { throw Failure(path: path, message: "truncated") }
            counts[text] = Int(count)
        }
        guard let entryCount = reader.word(8), entryCount <= UInt64(reader.remaining / 8) else {
            throw Failure(path: path, message: "truncated")
        }
        var entries: [UInt64] = []
        entries.reserveCapacity(Int(entryCount))
        for _ in 0..<entryCount { entries.append(reader.word(8)!) }
        guard reader.remaining == 0 else { throw Failure(path: path, message: "trailing bytes") }
        return ChangeSummary(
            key: key, manifestSHA256: sha, files: Int(files), bytes: Int64(bitPattern: bytes), changedHistory: history,
            seenExtensions: seen, extensionCounts: counts, entries: entries)
    }

    public func write(to path: String) throws(Failure) {
        var out = Self.magic + key + manifestSHA256
        out.reserveCapacity(out.count + 64 + entries.count * 8)
        func word(_ value: UInt64, _ length: Int) { StateFile.append(value, length, to: &out) }
        func text(_ value: String) {
            let bytes = Array(value.utf8.prefix(255))
            out.append(UInt8(bytes.count))
            out += bytes
        }
        word(UInt64(files), 8)
        word(UInt64(bitPattern: bytes), 8)
        let history = changedHistory.suffix(Self.historyLimit)
        word(UInt64(history.count), 4)
        for share in history { word(share.bitPattern, 8) }
        let seen = seenExtensions.sorted().prefix(Self.seenExtensionLimit)
        word(UInt64(seen.count), 4)
        seen.forEach(text)
        word(UInt64(extensionCounts.count), 4)
        for (ext, count) in extensionCounts.sorted(by: { $0.key < $1.key }) {
            text(ext)
            word(UInt64(count), 4)
        }
        word(UInt64(entries.count), 8)
        for entry in entries { word(entry, 8) }
        do { try StateFile.write(path, out) } catch { throw Failure(path: path, message: error.message) }
    }
}
