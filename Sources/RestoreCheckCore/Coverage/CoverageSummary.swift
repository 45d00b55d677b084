import Foundation

/// How much of the newest manifest is known to restore: the files (and their bytes) verified within
/// the coverage window, and what that proves (contract: the JSON field names are API).
public struct CoverageSummary: Sendable, Codable, Hashable {
    /// The window (`sample.coverage`).
    public var windowSeconds: Double
    /// Files in the newest manifest, and those of them verified within the window (name and digest).
    public var files: Int
    public var filesVerified: Int
    public var filesRatio: Double
    /// Bytes of the manifest's files as the archive declares them, and of the verified ones.
    public var bytes: Int64
    public var bytesVerified: Int64
    public var bytesRatio: Double
    /// The 95 % upper bound on the share of files that would not restore (`CoverageBound`); nil when
    /// this test found a file that does not restore (the bound assumes none failed).
    public var failingShareBound: Double?
    /// Files per test that would verify every file within the window at the target's `every`; set
    /// only when the configured sample is smaller.
    public var filesPerTestNeeded: Int?

    public init(
        windowSeconds: Double, files: Int, filesVerified: Int, bytes: Int64, bytesVerified: Int64, failingShareBound: Double?,
        filesPerTestNeeded: Int?
    ) {
        self.windowSeconds = windowSeconds
        self.files = files
        self.filesVerified = filesVerified
        filesRatio = files > 0 ? Double(filesVerified) / Double(files) : 0
        self.bytes = bytes
        self.bytesVerified = bytesVerified
        bytesRatio = bytes > 0 ? Double(bytesVerified) / Double(bytes) : (files > 0 && filesVerified == files ? 1 : 0)
        self.failingShareBound = failingShareBound
        self.filesPerTestNeeded = filesPerTestNeeded
    }

    /// Files per test that verify `files` within `window` at one test per `every` (at least one test).
    public static func filesPerTest(toCover files: Int, window: TimeSpan, every: TimeSpan) -> Int {
        let tests = max(1, Int((window.seconds / every.seconds).rounded(.down)))
        return (files + tests - 1) / tests
    }

    /// One sentence for people: "12.0 % of files (1,200 of 10,000; 9.5 % of bytes) verified within
    /// 30d; at most 0.25 % of files would not restore (95 % confidence)".
    public var statement: String {
        var text = "\(Self.percent(filesRatio)) of files (\(filesVerified) of \(files); \(Self.percent(bytesRatio)) of bytes) verified within \(TimeSpan.format(windowSeconds))"
        if let bound = failingShareBound {
            text += bound == 0 ? "; every file verified" : "; at most \(Self.percent(bound, ceiling: true)) of files would not restore (95 % confidence)"
        }
        if let needed = filesPerTestNeeded { text += "; \(needed) files per test would verify all of them within the window" }
        return text
    }

    /// For a table cell: "75 % in 30d".
    public var shortText: String { "\(Self.percent(filesRatio)) in \(TimeSpan.format(windowSeconds))" }

    /// A share as a percentage with up to two decimals; bounds round up (never claim better).
    public static func percent(_ share: Double, ceiling: Bool = false) -> String {
        let scaled = share * 10_000
        let hundredths = ceiling ? scaled.rounded(.up) : scaled.rounded(.down)
        var digits = String(format: "%.2f", hundredths / 100)
        while digits.hasSuffix("0") { digits.removeLast() }
        if digits.hasSuffix(".") { digits.removeLast() }
        return "\(digits) %"
    }
}
