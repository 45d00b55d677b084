import Foundation
import RestoreCheckCore

/// One tenant's restore-assurance report for a period: the numbers every format shows.
///
/// This is the JSON contract (`restorecheck report --format json`, `schema` 1): snake_case keys,
/// ISO 8601 UTC times, durations in seconds, percentages 0–100. An optional field is absent when
/// there is nothing to say (no test to measure, an event still open). Fields are added, never
/// renamed or removed, within a schema version.
public struct TenantReport: Sendable, Codable, Hashable {
    public var schema = 1
    public var tenant: String
    public var company: String?
    public var generated: Date
    public var period: Period
    public var targets: [TargetSummary]
    /// Open events first, then by opening time, newest first.
    public var breaches: [Breach]
    /// Every test that finished in the period, newest first.
    public var evidence: [EvidenceRun]

    public struct Period: Sendable, Codable, Hashable {
        public var from: Date
        public var to: Date
    }
}

/// One target's line in the summary, and the series its charts draw.
public struct TargetSummary: Sendable, Codable, Hashable {
    public var target: String
    public var rpoSeconds: Double
    public var rtoSeconds: Double
    /// Age at the report's end of the newest restore point that passed (the verified RPO); nil when
    /// none ever passed.
    public var verifiedBackupAgeSeconds: Double?
    public var verifiedBackupTimestamp: Date?
    public var rpoMet: Bool
    public var lastResult: RunStatus?
    public var lastTest: Date?
    public var lastReasons: [String]
    /// Share of the measured part of the period during which a restore point within the RPO had been
    /// verified (README "Report numbers"). Nil when the target had no test by the period's end.
    public var rpoCompliancePercent: Double?
    /// Seconds of the period that were measured (from the later of the period start and the target's
    /// first recorded test).
    public var measuredSeconds: Double
    /// Share of the period's tests with a projected full restore that were within the RTO.
    public var rtoCompliancePercent: Double?
    public var tests: TestCounts
    public var filesVerified: Int
    public var bytesVerified: Int64
    public var openBreaches: Int
    /// The newest test's coverage of the manifest (targets with `sample.coverage`).
    public var coverage: CoverageSummary?
    public var chart: ChartSeries
}

/// Tests in the period by result. `run` = passed + failed + error; aborted tests verified nothing.
public struct TestCounts: Sendable, Codable, Hashable {
    public var run = 0
    public var passed = 0
    public var failed = 0
    public var error = 0
    public var aborted = 0
}

/// What the charts draw, as data (times and seconds), so a PSA tool can draw its own.
public struct ChartSeries: Sendable, Codable, Hashable {
    /// The verified backup's age over the period: polylines of (time, age seconds); a break where no
    /// restore point had been verified yet.
    public var verifiedAge: [[AgePoint]]
    /// Each test with a measured restore time or a projection, in time order.
    public var restoreTimes: [RestoreTimePoint]

    public struct AgePoint: Sendable, Codable, Hashable {
        public var time: Date
        public var ageSeconds: Double
    }

    public struct RestoreTimePoint: Sendable, Codable, Hashable {
        public var time: Date
        public var status: RunStatus
        public var measuredSeconds: Double?
        public var projectedSeconds: Double?
    }
}

/// One test, as evidence.
public struct EvidenceRun: Sendable, Codable, Hashable {
    public var runId: Int64
    public var target: String
    public var started: Date
    public var finished: Date
    public var status: RunStatus
    public var reasons: [String]
    public var archive: String?
    public var archiveBytes: Int64?
    /// The restore point's time (the archive's modification time).
    public var backupTimestamp: Date?
    public var manifestSha256: String?
    public var sample: String?
    public var seed: String?
    public var filesVerified: Int
    public var bytesVerified: Int64
    public var restoreSeconds: Double?
    public var projectedFullRestoreSeconds: Double?
    /// The first findings (at most `ReportRules.findingsPerRun`), and how many more were recorded.
    public var findings: [Finding]
    public var findingsOmitted: Int
    /// What the test read from object storage (an `s3:` target's), so the customer sees how much
    /// of the stored object a sample cost.
    public var sourceRead: SourceRead?
    /// The run's link in the evidence chain (`restorecheck evidence verify --report` checks it).
    public var entryHash: String?
}

extension EvidenceRun {
    /// A recorded test as a report shows it, with the first of its findings (`shown`): the one home
    /// of that mapping, used to write reports and to check them against the history
    /// (`evidence verify --report`).
    public init(recorded run: RecordedRun, findings shown: [Finding], sourceRead: SourceRead? = nil) {
        self.init(
            runId: run.id, target: run.target, started: run.started, finished: run.finished, status: run.status,
            reasons: run.reasons, archive: run.archive, archiveBytes: run.archiveBytes, backupTimestamp: run.backupTimestamp,
            manifestSha256: run.manifestSha256, sample: run.sample, seed: run.seed, filesVerified: run.filesVerified,
            bytesVerified: run.bytesRestored, restoreSeconds: run.restoreSeconds,
            projectedFullRestoreSeconds: run.projectedFullRestoreSeconds, findings: shown,
            findingsOmitted: max(0, run.findingCount - shown.count), sourceRead: sourceRead, entryHash: run.entryHash)
    }

    /// The JSON keys whose values differ between this test and `other`, in the report's encoding
    /// (what a reader of the JSON sees), sorted.
    public func differingFields(from other: EvidenceRun) -> [String] {
        let encoder = TenantReport.jsonEncoder()
        guard let mine = (try? encoder.encode(self)).flatMap({ try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }),
            let theirs = (try? encoder.encode(other)).flatMap({ try? JSONSerialization.jsonObject(with: $0) as? [String: Any] })
        else { return ["(unencodable)"] }
        return Set(mine.keys).union(theirs.keys).filter { key in
            let a = mine[key].map { NSArray(object: $0) }
            let b = theirs[key].map { NSArray(object: $0) }
            return a != b
        }.sorted()
    }
}

extension TenantReport {
    /// The contract's encoder: snake_case, ISO 8601, sorted keys, compact (a 400-day report is
    /// tens of megabytes; pipe it through `jq` to read it).
    public static func jsonEncoder() -> JSONEncoder {
        let encoder = Outcome.jsonEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
    public static func jsonDecoder() -> JSONDecoder { Outcome.jsonDecoder() }
}
