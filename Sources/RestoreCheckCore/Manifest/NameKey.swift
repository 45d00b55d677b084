/// A 128-bit fingerprint of a normalised entry name: what the worker keeps per name instead of the
/// name itself.
///
/// A verifier holds one entry per manifest line and per archive name; as `EntryName` plus a hex
/// `String` that was ~1 KiB per file with dictionary overhead, and peak RSS grew with the file count
/// (66 MiB at 40,000 files). A fixed 16-byte key keeps the per-file cost to a few dozen bytes.
///
/// Two SipHash values under Swift's per-process random seed: an archive cannot be crafted to collide
/// with a manifest name without knowing the seed, and 128 bits make an accidental collision
/// (~n²/2¹²⁹) negligible for any real archive.
package struct NameKey: Hashable, Sendable {
    let high: UInt64
    let low: UInt64

    package init(_ name: EntryName) { self.init(bytes: name.bytes) }

    init(bytes: [UInt8]) {
        var first = Hasher()
        var second = Hasher()
        second.combine(0x5EED_0F_5EC0_11D as UInt64)  // a different salt: an independent second half
        bytes.withUnsafeBytes {
            first.combine(bytes: $0)
            second.combine(bytes: $0)
        }
        high = UInt64(bitPattern: Int64(first.finalize()))
        low = UInt64(bitPattern: Int64(second.finalize()))
    }
}

/// A SHA-256 digest as 32 bytes (four words), half the size of its hex and without an allocation.
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible {
    var words: (UInt64, UInt64, UInt64, UInt64)

    init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    /// SHA-256 of no bytes: what an empty restored file hashes to.
    package static let ofEmpty = SHA256Digest(hex: Array("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".utf8))!

    /// From 32 raw bytes (big-endian words, so `description` prints the bytes in order).
    init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 32)
        func word(_ index: Int) -> UInt64 {
            var value: UInt64 = 0
            for byte in bytes[(index * 8)..<(index * 8 + 8)] { value = value << 8 | UInt64(byte) }
            return value
        }
        words = (word(0), word(1), word(2), word(3))
    }

    /// From 64 hex digits, either case; nil for anything else.
    init?(hex: some Collection<UInt8>) {
        guard hex.count == 64 else { return nil }
        var parsed: [UInt64] = [0, 0, 0, 0]
        for (index, digit) in hex.enumerated() {
            let value: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = digit - UInt8(ascii: "A") + 10
            default: return nil
            }
            parsed[index / 16] = parsed[index / 16] << 4 | UInt64(value)
        }
        words = (parsed[0], parsed[1], parsed[2], parsed[3])
    }

    public static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// Lowercase hex, as sha256sum prints it.
    public var description: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for word in [words.0, words.1, words.2, words.3] {
            for shift in stride(from: 60, through: 0, by: -4) { out.append(digits[Int((word >> UInt64(shift)) & 0xF)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
