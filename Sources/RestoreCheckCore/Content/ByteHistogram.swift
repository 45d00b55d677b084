import Foundation

/// Counts of each byte value over a prefix of a file, and the two statistics the content check reads
/// from them: Shannon entropy and Pearson's chi-square against the uniform distribution.
///
/// Four interleaved tables: consecutive bytes land in different tables, so two equal bytes in a row
/// (runs of spaces, zeros) never wait on each other's store-to-load forwarding. Not measured against
/// one table here: since the inspector's early exits the histogram is ~0.3 % of a full verify's
/// samples (`perf record`, README "Performance"), too little for the choice to matter.
/// Owned by one thread (the restore sink's) and reset per file; 4 KiB of counters.
package struct ByteHistogram: ~Copyable {
    private let tables: UnsafeMutablePointer<UInt32>
    /// Bytes counted since the last reset.
    package private(set) var count = 0

    package init() {
        tables = .allocate(capacity: 4 * 256)
        tables.initialize(repeating: 0, count: 4 * 256)
    }

    deinit { tables.deallocate() }

    package mutating func reset() {
        tables.update(repeating: 0, count: 4 * 256)
        count = 0
    }

    package mutating func add(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let n = bytes.count
        var i = 0
        while i + 4 <= n {
            tables[Int(base[i])] &+= 1
            tables[256 + Int(base[i + 1])] &+= 1
            tables[512 + Int(base[i + 2])] &+= 1
            tables[768 + Int(base[i + 3])] &+= 1
            i += 4
        }
        while i < n {
            tables[Int(base[i])] &+= 1
            i += 1
        }
        count += n
    }

    /// `n` zero bytes (a sparse hole).
    package mutating func addZeros(_ n: Int) {
        tables[0] &+= UInt32(truncatingIfNeeded: n)
        count += n
    }

    /// The combined counts.
    package var counts: [Int] {
        (0..<256).map { Int(tables[$0]) + Int(tables[256 + $0]) + Int(tables[512 + $0]) + Int(tables[768 + $0]) }
    }
}

/// What the content check keeps of a file's histogram: the sample size and its two statistics.
public struct ByteStatistics: Sendable, Hashable {
    /// Bytes the statistics cover (the file's first `ContentInspector.window` bytes, or all of it).
    public var sampled: Int
    /// Shannon entropy in bits per byte with the Miller-Madow correction, `(m - 1) / (2 n ln 2)` for
    /// `m` byte values seen: the plain estimate is biased low on small samples (uniformly random
    /// 1 KiB reads ~7.82 bits, not 8), which would hide small encrypted files below any fixed threshold.
    public var entropy: Double
    /// Pearson's chi-square statistic against a uniform distribution over 256 values (255 degrees of
    /// freedom): ~255 for random bytes at any sample size, thousands for compressed data, far more
    /// for text.
    public var chiSquare: Double

    public init(counts: [Int]) {
        let n = counts.reduce(0, +)
        sampled = n
        guard n > 0 else {
            entropy = 0
            chiSquare = 0
            return
        }
        let total = Double(n)
        let expected = total / 256
        var entropy = 0.0
        var chiSquare = 0.0
        var seen = 0
        for count in counts {
            let difference = Double(count) - expected
            chiSquare += difference * difference / expected
            guard count > 0 else { continue }
            seen += 1
            let p = Double(count) / total
            entropy -= p * log2(p)
        }
        self.entropy = entropy + Double(seen - 1) / (2 * total * M_LN2)
        self.chiSquare = chiSquare
    }
}
