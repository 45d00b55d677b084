/// Which files of an archive a test restores and verifies.
public struct SampleSpec: Sendable, Hashable, Codable {
    /// How many files are picked at random (after `include`).
    public enum Size: Sendable, Hashable, Codable {
        /// A uniform random sample of this many files.
        case files(Int)
        /// Every file: a full restore.
        case all
        /// Random files until about this many bytes (the first file is always taken).
        case bytes(Int64)
        /// Each file with this probability (0–100 %), so about this share of the files.
        case percent(Double)
    }

    public var size: Size
    /// Paths always verified when the archive has them (normalised like entry names).
    public var include: [String]
    /// `coverage:`: each test prefers manifest entries not verified within this window, so an
    /// unchanged dataset is verified completely once per window (see `CoverageState`). Nil: off.
    public var coverage: TimeSpan?

    public init(size: Size = .files(20), include: [String] = [], coverage: TimeSpan? = nil) {
        self.size = size
        self.include = include
        self.coverage = coverage
    }

    public var summary: String {
        let size: String = switch self.size {
        case .files(let count): "\(count) files"
        case .all: "all files"
        case .bytes(let bytes): "\(ByteCount.format(bytes))"
        case .percent(let percent): "\(percent.formatted(decimals: 1))%"
        }
        return size + (coverage.map { ", coverage \($0)" } ?? "")
    }
}
