import Foundation

/// A small binary file of restorecheck's own in `state_dir` (the coverage state, change summaries):
/// read whole or found missing, written atomically with mode 0600 under a 0700 directory, and its
/// little-endian fields read and written by `Reader` and `append`. One home for what both formats do.
enum StateFile {
    /// Why the file could not be read or written (the caller names the file's kind).
    struct Failure: Error {
        var message: String
    }

    /// The file's bytes, or nil when it does not exist.
    static func read(_ path: String) throws(Failure) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw Failure(message: "cannot be read") }
            return nil
        }
        return [UInt8](data)
    }

    /// Replaces the file with `bytes` (mode 0600), creating its directory (0700).
    static func write(_ path: String, _ bytes: [UInt8]) throws(Failure) {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw Failure(message: "cannot create \(directory): \(error.localizedDescription)")
        }
        do { try AtomicFile.write(path, bytes: bytes, mode: 0o600) } catch { throw Failure(message: error.description) }
    }

    /// Appends `value`'s low `length` bytes, little-endian.
    static func append(_ value: UInt64, _ length: Int, to bytes: inout [UInt8]) {
        for index in 0..<length { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }

    /// Reads little-endian fields in order; nil past the end.
    struct Reader {
        let bytes: [UInt8]
        var offset = 0
        var remaining: Int { bytes.count - offset }

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func take(_ count: Int) -> [UInt8]? {
            guard count >= 0, count <= remaining else { return nil }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        mutating func word(_ length: Int) -> UInt64? {
            guard length <= remaining else { return nil }
            defer { offset += length }
            return (0..<length).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }

        /// A length byte and that many bytes of UTF-8.
        mutating func text() -> String? {
            guard let length = word(1), let value = take(Int(length)) else { return nil }
            return String(decoding: value, as: UTF8.self)
        }
    }
}
