import Foundation

/// One run of the history as `status`, `history` and the daemon read it: a test that started, and
/// how it ended (its outcome whole). Reports read the flatter `RecordedRun`.
public struct RunRecord: Sendable {
    public var id: Int64
    public var target: String
    public var tenant: String
    public var status: RunStatus
    public var reasons: [String]
    /// `serve` or `run`: which process recorded it.
    public var origin: String
    public var started: Date
    public var finished: Date?
    public var backupTimestamp: Date?
    /// The outcome as recorded; nil for a run still `started` or `aborted` (it has none), or one
    /// this version cannot decode.
    public var outcome: Outcome?

    public init(
        id: Int64, target: String, tenant: String, status: RunStatus, reasons: [String], origin: String, started: Date,
        finished: Date?, backupTimestamp: Date?, outcome: Outcome?
    ) {
        self.id = id
        self.target = target
        self.tenant = tenant
        self.status = status
        self.reasons = reasons
        self.origin = origin
        self.started = started
        self.finished = finished
        self.backupTimestamp = backupTimestamp
        self.outcome = outcome
    }
}
