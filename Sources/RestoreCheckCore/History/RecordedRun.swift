import Foundation
import ObjectStorage

/// A recorded test's status, the one type for every reader of the history. `started`: running, or
/// its process died (the next start-up makes it `aborted`). `aborted`: stopped before it finished
/// (shutdown, Ctrl-C, a crash of restorecheck itself); it verified nothing and is neither a pass nor
/// a failure. Reports read only finished runs, never `started`.
public enum RunStatus: String, Sendable, Codable, Hashable, CaseIterable {
    case passed, failed, error, aborted, started

    /// The status of a finished test, as its outcome says.
    public init(_ status: OutcomeStatus) {
        switch status {
        case .passed: self = .passed
        case .failed: self = .failed
        case .error: self = .error
        }
    }
}

/// One finished test as the history recorded it: the shape reports read through `HistoryQuery`.
///
/// Flat columns rather than the whole `Outcome`: a 400-day report of 50 targets reads 20,000 of
/// these, and decoding 20,000 outcome documents would cost more than the rest of the report.
public struct RecordedRun: Sendable, Hashable {
    public var id: Int64
    public var target: String
    public var tenant: String
    public var status: RunStatus
    public var reasons: [String]
    public var started: Date
    public var finished: Date
    public var archive: String?
    public var archiveBytes: Int64?
    /// The restore point's time (the archive's modification time).
    public var backupTimestamp: Date?
    /// SHA-256 of the manifest the sample was verified against.
    public var manifestSha256: String?
    /// The sample as configured (`20 files`, `all`...), and the seed that drew it.
    public var sample: String?
    public var seed: String?
    public var filesVerified: Int
    public var bytesRestored: Int64
    public var restoreSeconds: Double?
    public var projectedFullRestoreSeconds: Double?
    /// The targets in force when the test ran (a target's RPO/RTO may change over a report period).
    public var rpoSeconds: Double?
    public var rtoSeconds: Double?
    public var rtoMet: Bool?
    /// Findings recorded for the run (all of them; the store's `findings(runIDs:)` reads them).
    public var findingCount: Int
    /// The run's link in the evidence chain (nil for runs recorded before the chain existed and not
    /// yet migrated, which a migrated store never has).
    public var entryHash: String?

    public init(
        id: Int64, target: String, tenant: String, status: RunStatus, reasons: [String] = [], started: Date, finished: Date,
        archive: String? = nil, archiveBytes: Int64? = nil, backupTimestamp: Date? = nil, manifestSha256: String? = nil,
        sample: String? = nil, seed: String? = nil, filesVerified: Int = 0, bytesRestored: Int64 = 0,
        restoreSeconds: Double? = nil, projectedFullRestoreSeconds: Double? = nil, rpoSeconds: Double? = nil,
        rtoSeconds: Double? = nil, rtoMet: Bool? = nil, findingCount: Int = 0, entryHash: String? = nil
    ) {
        self.id = id
        self.target = target
        self.tenant = tenant
        self.status = status
        self.reasons = reasons
        self.started = started
        self.finished = finished
        self.archive = archive
        self.archiveBytes = archiveBytes
        self.backupTimestamp = backupTimestamp
        self.manifestSha256 = manifestSha256
        self.sample = sample
        self.seed = seed
        self.filesVerified = filesVerified
        self.bytesRestored = bytesRestored
        self.restoreSeconds = restoreSeconds
        self.projectedFullRestoreSeconds = projectedFullRestoreSeconds
        self.rpoSeconds = rpoSeconds
        self.rtoSeconds = rtoSeconds
        self.rtoMet = rtoMet
        self.findingCount = findingCount
        self.entryHash = entryHash
    }
}

extension RecordedRun {
    /// Whether the run tested an object in a bucket (it then recorded `Outcome.sourceRead`).
    public var readFromObjectStorage: Bool { archive?.hasPrefix(S3Bucket.scheme) == true }
}

/// The history as reports read it. `HistoryStore` (SQLite) implements it; a PostgreSQL history for
/// fleets of verifier hosts must implement the same, so reports never see SQL.
public protocol HistoryQuery: Sendable {
    /// Every finished run (passed, failed, error, aborted) of `tenant` that finished at or before
    /// `through`, oldest first (by finish time, then id). The whole retained history, not only a
    /// report's period: a breach open when the period starts has its real opening time.
    func finishedRuns(tenant: String, through: Date) throws -> [RecordedRun]
    /// The first `perRun` findings of each run, in recorded order.
    func findings(runIDs: [Int64], perRun: Int) throws -> [Int64: [Finding]]
    /// The coverage each run recorded (runs of targets with `sample.coverage`; others are absent).
    /// Reports ask for one run per target, so reading it from the stored outcome is cheap.
    func coverage(runIDs: [Int64]) throws -> [Int64: CoverageSummary]
    /// What each run read from object storage (`Outcome.sourceRead`; runs of `s3:` targets only, so
    /// reports ask only for runs whose archive is an `s3://` object).
    func sourceReads(runIDs: [Int64]) throws -> [Int64: SourceRead]
}
