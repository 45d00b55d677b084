/// SipHash-2-4 (Aumasson and Bernstein, 2012) with an explicit 128-bit key: a keyed 64-bit hash that
/// is stable across processes, unlike Swift's `Hasher`, whose seed is random per process.
///
/// Used where a hash is stored (the coverage state keeps keyed hashes of names, never names: without
/// the key, the state file cannot be tested for "does this backup hold a file named X").
public struct SipHash: Sendable, Hashable {
    private let k0: UInt64
    private let k1: UInt64

    /// `key`: 16 bytes, read as two little-endian words as the reference implementation does.
    public init(key: [UInt8]) {
        precondition(key.count == 16, "SipHash takes a 16-byte key")
        func word(_ offset: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(key[offset + $1]) << (8 * UInt64($1)) } }
        k0 = word(0)
        k1 = word(8)
    }

    public func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var v0: UInt64 = 0x736f_6d65_7073_6575 ^ k0
        var v1: UInt64 = 0x646f_7261_6e64_6f6d ^ k1
        var v2: UInt64 = 0x6c79_6765_6e65_7261 ^ k0
        var v3: UInt64 = 0x7465_6462_7974_6573 ^ k1
        @inline(__always) func round() {
            v0 &+= v1; v1 = v1.rotated(13); v1 ^= v0; v0 = v0.rotated(32)
            v2 &+= v3; v3 = v3.rotated(16); v3 ^= v2
            v0 &+= v3; v3 = v3.rotated(21); v3 ^= v0
            v2 &+= v1; v1 = v1.rotated(17); v1 ^= v2; v2 = v2.rotated(32)
        }
        let count = bytes.count
        var index = 0
        while index + 8 <= count {
            let m = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            v3 ^= m
            round(); round()
            v0 ^= m
            index += 8
        }
        var last = UInt64(truncatingIfNeeded: count) << 56
        for shift in 0..<(count - index) { last |= UInt64(bytes[index + shift]) << (8 * UInt64(shift)) }
        v3 ^= last
        round(); round()
        v0 ^= last
        v2 ^= 0xFF
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }

    public func hash(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBytes { hash($0) } }
}

extension UInt64 {
    @inline(__always) fileprivate func rotated(_ count: UInt64) -> UInt64 { self << count | self >> (64 - count) }
}
