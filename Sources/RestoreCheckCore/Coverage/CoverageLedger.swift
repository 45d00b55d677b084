import Foundation

/// What the worker asks of coverage: where the state is and from which day a verification counts.
public struct CoverageRequest: Sendable, Codable, Hashable {
    /// The target's `CoverageState` file (the parent creates it before the first test).
    public var statePath: String
    /// Entries verified on this day (`CoverageState.day`) or later count as verified.
    public var sinceDay: UInt32

    public init(statePath: String, sinceDay: UInt32) {
        self.statePath = statePath
        self.sinceDay = sinceDay
    }
}

/// What the worker reports for coverage: the entries it verified and the ones that failed (packed
/// little-endian `UInt64` hashes: 8 bytes per file, base64 in the JSON), and the manifest's files
/// and bytes counted as verified within the window once this test's results are in.
public struct CoverageReport: Sendable, Codable, Hashable {
    public var verified = Data()
    public var failed = Data()
    public var files = 0
    public var filesVerified = 0
    public var bytes: Int64 = 0
    public var bytesVerified: Int64 = 0

    public init() {}

    public static func pack(_ hashes: [UInt64]) -> Data {
        var data = Data(capacity: hashes.count * 8)
        for hash in hashes { withUnsafeBytes(of: hash.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    public static func unpack(_ data: Data) -> [UInt64] {
        let bytes = [UInt8](data)
        return stride(from: 0, to: bytes.count - bytes.count % 8, by: 8).map { offset in
            (0..<8).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }
    }
}

/// The worker's coverage bookkeeping for one pass: each manifest slot's entry hash, whether it was
/// verified within the window before this test, and the sizes the archive declares. 17 bytes per
/// manifest entry, only when the target has `coverage:`.
package struct CoverageLedger {
    private let entryHashes: [UInt64]
    private let coveredBefore: [Bool]
    private var sizes: [Int64]

    /// Hashes every manifest entry under the state's key and looks each up among the hashes
    /// verified since the window began.
    package init(manifestPath: String, manifest: Manifest, request: CoverageRequest) throws {
        guard let state = try CoverageState.load(request.statePath) else {
            throw CoverageState.Failure(path: request.statePath, message: "missing")
        }
        let recent = state.hashes(since: request.sinceDay)
        var hasher = state.hasher
        var hashes = [UInt64](repeating: 0, count: manifest.count)
        try Manifest.forEachEntry(inFile: manifestPath) { name, _ in
            if let slot = manifest.slot(of: NameKey(name)) { hashes[slot] = hasher(name, manifest.digests[slot]) }
            return true
        }
        entryHashes = hashes
        coveredBefore = hashes.map { Self.contains(recent, $0) }
        sizes = [Int64](repeating: -1, count: manifest.count)
    }

    /// Whether `slot` was verified within the window before this test.
    package func isCovered(_ slot: Int) -> Bool { coveredBefore[slot] }

    /// The archive's declared size of a listed entry.
    package mutating func noteSize(_ slot: Int32, _ bytes: Int64) {
        if Int(slot) < sizes.count { sizes[Int(slot)] = max(0, bytes) }
    }

    /// The report, given each slot's result in this test (`verified`, `failed`, or neither).
    package func report(result: (Int32) -> NameLedger.Result?) -> CoverageReport {
        var report = CoverageReport()
        var verified: [UInt64] = []
        var failed: [UInt64] = []
        report.files = entryHashes.count
        for slot in entryHashes.indices {
            let size = max(0, sizes[slot])
            report.bytes += size
            var counts = coveredBefore[slot]
            switch result(Int32(slot)) {
            case .verified:
                verified.append(entryHashes[slot])
                counts = true
            case .failed:
                failed.append(entryHashes[slot])
                counts = false
            case nil:
                break
            }
            if counts {
                report.filesVerified += 1
                report.bytesVerified += size
            }
        }
        report.verified = CoverageReport.pack(verified)
        report.failed = CoverageReport.pack(failed)
        return report
    }

    private static func contains(_ sorted: [UInt64], _ value: UInt64) -> Bool {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low < sorted.count && sorted[low] == value
    }
}
