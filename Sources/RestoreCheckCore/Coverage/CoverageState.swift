import Foundation
import Glibc

/// Which manifest entries of one target were verified, and on which day: the state behind coverage
/// rotation (`sample: { coverage: 30d }`), one file per target, `state_dir/coverage/<target>.state`.
///
/// An entry is a keyed hash of its name and expected SHA-256 (`entryHash`), so changed content (a
/// new digest) is a new, unverified entry, and the file holds no names: without its key it cannot be
/// asked whether a backup holds a file named X.
///
/// File format (little-endian), 12 bytes per file plus a 32-byte header:
///
///     8 bytes   magic "RCCOV1\n\0"
///    16 bytes   SipHash-2-4 key (random, made with the file; the file is mode 0600)
///     8 bytes   entry count n
///    12 × n     entries sorted by hash: hash (8 bytes), day verified (4 bytes, days since 1970-01-01 UTC)
///
/// Written by the parent after each test (atomically, `AtomicFile`), read by the worker, which only
/// needs the hashes verified since a day.
public struct CoverageState: Sendable {
    public static let magic = Array("RCCOV1\n\0".utf8)
    public static let bytesPerFile = 12
    static let headerSize = 32

    /// Why the state could not be used: the path and the reason.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var message: String
        public var description: String { "coverage state \(path): \(message)" }
    }

    public let key: [UInt8]
    /// Sorted, unique.
    public private(set) var hashes: [UInt64]
    /// `days[i]` is the day `hashes[i]` was last verified.
    public private(set) var days: [UInt32]

    public init(key: [UInt8] = SHA256.randomBytes(16)) {
        self.key = key
        hashes = []
        days = []
    }

    /// The day number of `date` (UTC).
    public static func day(of date: Date) -> UInt32 { UInt32(max(0, (date.timeIntervalSince1970 / 86_400).rounded(.down))) }

    /// The hasher of manifest entries under this state's key.
    public var hasher: EntryHasher { EntryHasher(hash: SipHash(key: key)) }

    /// The keyed hash of one manifest entry: its name's bytes, a 0 byte, its 32-byte digest.
    public struct EntryHasher: Sendable {
        let hash: SipHash
        private var buffer: [UInt8] = []
        init(hash: SipHash) { self.hash = hash }

        public mutating func callAsFunction(_ name: EntryName, _ digest: SHA256Digest) -> UInt64 {
            buffer.removeAll(keepingCapacity: true)
            buffer.append(contentsOf: name.bytes)
            buffer.append(0)
            digest.appendBytes(to: &buffer)
            return hash.hash(buffer)
        }
    }

    /// The hashes verified on `day` or later, sorted.
    public func hashes(since day: UInt32) -> [UInt64] {
        zip(hashes, days).compactMap { $0.1 >= day ? $0.0 : nil }
    }

    /// Records a test's results on `day`: `verified` hashes are (re)verified that day, `failed` ones
    /// are forgotten (a file that failed is not known to restore, whenever it last passed), and
    /// entries last verified before `forgetBefore` are dropped (they no longer count, and the file
    /// stays as small as the window's verified set).
    public mutating func record(verified: [UInt64], failed: [UInt64], on day: UInt32, forgetBefore: UInt32) {
        var merged: [UInt64: UInt32] = [:]
        merged.reserveCapacity(hashes.count + verified.count)
        for (hash, seen) in zip(hashes, days) where seen >= forgetBefore { merged[hash] = seen }
        for hash in verified { merged[hash] = day }
        for hash in failed { merged.removeValue(forKey: hash) }
        let sorted = merged.sorted { $0.key < $1.key }
        hashes = sorted.map(\.key)
        days = sorted.map(\.value)
    }

    // MARK: File

    /// The state at `path`, or nil when there is none yet.
    public static func load(_ path: String) throws(Failure) -> CoverageState? {
        let read: [UInt8]?
        do { read = try StateFile.read(path) } catch { throw Failure(path: path, message: error.message) }
        guard let bytes = read else { return nil }
        var reader = StateFile.Reader(bytes)
        guard reader.take(8) == magic, let key = reader.take(16), let count = reader.word(8).map({ Int(clamping: $0) }) else {
            throw Failure(path: path, message: "not a restorecheck coverage state (bad header)")
        }
        guard count <= reader.remaining / bytesPerFile, reader.remaining == count * bytesPerFile else {
            throw Failure(path: path, message: "truncated or damaged (\(bytes.count) bytes for \(count) entries)")
        }
        var state = CoverageState(key: key)
        state.hashes.reserveCapacity(count)
        state.days.reserveCapacity(count)
        for index in 0..<count {
            let hash = reader.word(8)!
            guard state.hashes.last.map({ $0 < hash }) ?? true else { throw Failure(path: path, message: "entries out of order at \(index)") }
            state.hashes.append(hash)
            state.days.append(UInt32(truncatingIfNeeded: reader.word(4)!))
        }
        return state
    }

    /// Writes the state atomically (mode 0600), creating its directory.
    public func write(to path: String) throws(Failure) {
        var bytes = Self.magic + key
        bytes.reserveCapacity(Self.headerSize + hashes.count * Self.bytesPerFile)
        StateFile.append(UInt64(hashes.count), 8, to: &bytes)
        for (hash, day) in zip(hashes, days) {
            StateFile.append(hash, 8, to: &bytes)
            StateFile.append(UInt64(day), 4, to: &bytes)
        }
        do { try StateFile.write(path, bytes) } catch { throw Failure(path: path, message: error.message) }
    }
}

extension SHA256Digest {
    /// The 32 digest bytes in order.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        appendBytes(to: &out)
        return out
    }

    func appendBytes(to out: inout [UInt8]) {
        for word in [words.0, words.1, words.2, words.3] {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
    }
}
