import Foundation
@testable import RestoreCheckCore
import RestoreCheckStore
import RestoreCheckTestSupport

/// Histories written through the store's own API (`beginRun`/`complete`), as the daemon writes them:
/// one test a day at 02:00 of the backup taken at 00:00 that day.
public struct SyntheticHistory {
    public static let t0 = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01 00:00 UTC
    public static let day = 86_400.0
    /// Tests start at 02:00 and take 5 s.
    public static let testOffset = 7_200.0
    public static let testSeconds = 5.0

    public let store: HistoryStore

    /// One test of `target` on `day`: how it ended and what it projected.
    public struct Test {
        public var day: Int
        public var status: OutcomeStatus = .passed
        public var reasons: [OutcomeReason] = []
        public var projected: Double? = 3_600
        public var rto: Double = 4 * 3_600
        public var findings = 0

        public init(
            day: Int, status: OutcomeStatus = .passed, reasons: [OutcomeReason] = [], projected: Double? = 3_600, rto: Double = 4 * 3_600,
            findings: Int = 0
        ) {
            self.day = day
            self.status = status
            self.reasons = reasons
            self.projected = projected
            self.rto = rto
            self.findings = findings
        }
    }

    public init(store: HistoryStore) { self.store = store }

    public static func started(_ day: Int) -> Date { t0.addingTimeInterval(Double(day) * Self.day + testOffset) }
    public static func finished(_ day: Int) -> Date { started(day).addingTimeInterval(testSeconds) }
    public static func at(_ day: Int, _ seconds: Double = 0) -> Date { t0.addingTimeInterval(Double(day) * Self.day + seconds) }

    @discardableResult
    public func record(_ target: String, tenant: String = "acme", rpo: Double = 26 * 3_600, _ test: Test) throws -> Int64 {
        let id = try store.beginRun(target: target, tenant: tenant, started: Self.started(test.day), origin: "serve")
        try store.complete(runID: id, outcome: Self.outcome(target, tenant: tenant, rpo: rpo, test))
        return id
    }

    /// The same test recorded through any history store (`RunHistory`), as the daemon records it.
    @discardableResult
    public static func record(
        into store: any RunHistory, _ target: String, tenant: String = "acme", rpo: Double = 26 * 3_600, origin: String = "serve", _ test: Test
    ) async throws -> Int64 {
        let id = try await store.beginRun(target: target, tenant: tenant, started: started(test.day), origin: origin)
        try await store.complete(runID: id, outcome: outcome(target, tenant: tenant, rpo: rpo, test))
        return id
    }

    /// The outcome of one synthetic test.
    public static func outcome(_ target: String, tenant: String = "acme", rpo: Double = 26 * 3_600, _ test: Test) -> Outcome {
        let started = Self.started(test.day)
        let findings = (0..<test.findings).map {
            Finding(path: "docs/file-\($0).txt", reason: .checksumMismatch, detail: "restored bytes differ", expectedSHA256: "aa", actualSHA256: "bb")
        }
        let backup = Self.at(test.day)
        var outcome = Outcome.fixture(
            target: target, tenant: tenant, status: test.status, reasons: test.reasons, backup: backup, started: started,
            finished: started.addingTimeInterval(Self.testSeconds), findings: Array(findings.prefix(3)))
        outcome.summary = "synthetic"
        outcome.archive = "/srv/backup/\(target)-day\(test.day).tar.gz"
        outcome.archiveBytes = 1_000_000 + Int64(test.day)
        outcome.manifestSha256 = String(repeating: "ab", count: 32)
        outcome.backupAgeSeconds = Self.testOffset
        outcome.restoreSeconds = test.status == .error ? nil : Self.testSeconds
        outcome.projectedFullRestoreSeconds = test.status == .error ? nil : test.projected
        outcome.sample = "20 files"
        outcome.seed = UInt64(test.day)
        outcome.filesVerified = test.status == .error ? 0 : 20
        outcome.bytesRestored = test.status == .error ? 0 : 2_000
        outcome.rpoSeconds = rpo
        outcome.rpoMet = true
        outcome.rtoSeconds = test.rto
        outcome.rtoMet = test.status == .error ? nil : test.projected.map { $0 <= test.rto }
        outcome.findingsOmitted = max(0, test.findings - 3)
        return outcome
    }
}
