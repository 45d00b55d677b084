import Foundation

/// The history of tests as every process records and reads it, whichever database holds it:
/// `HistoryStore` (SQLite, one host) implements it, and the fleet's PostgreSQL store implements the
/// same, so the daemon, `run` and the commands never see SQL.
///
/// Async: a database may wait (a busy file, the network), and the wait must not hold one of the
/// cooperative pool's threads (two here), where the scheduler's loop feeds systemd's watchdog.
/// Reports read through `HistoryQuery`, synchronously, on the report builder's own thread.
public protocol RunHistory: HistoryQuery, EventOutbox, RunRecorder {
    /// Turns runs left `started` by a process that died (kill -9, power loss) into `aborted`.
    func abortLeftovers() async throws -> Int
    /// Deletes runs that started before `cutoff`, keeping the evidence chain's anchor.
    func prune(before cutoff: Date) async throws -> Int

    /// The newest run (running or finished) of every target, by tenant and target.
    func latestPerTarget() async throws -> [RunRecord]
    /// The newest `limit` runs of `target`, newest first.
    func history(target: String, limit: Int) async throws -> [RunRecord]
    /// Per target: when its newest finished test (passed, failed, error) started; the scheduler
    /// plans from it. Aborted runs do not count: they verified nothing, so after a restart the
    /// target is due at once rather than an interval later.
    func lastStarted() async throws -> [String: Date]
    /// Per target: the verified restore point, folded from its passed runs (`VerifiedRestorePoint`).
    func verifiedRestorePoints() async throws -> [String: VerifiedRestorePoint]
    /// Every finding of one run, in recorded order.
    func findings(runID: Int64) async throws -> [Finding]
}

/// Where one test's run is recorded (`RecordedCheckRunner`): the history itself, or, for a fleet's
/// job, the queue's fenced recorder (`FencedRecorder`), which commits only while the job is its own.
public protocol RunRecorder: Sendable {
    /// Records that a test of `target` is starting (before its archive is opened); returns the run's id.
    func beginRun(target: String, tenant: String, started: Date, origin: String) async throws -> Int64
    /// Completes a run with its outcome and findings, chained into the evidence, and the breach
    /// events it opened or resolved put in the outbox (`EventOutbox`), in one transaction.
    func complete(runID: Int64, outcome: Outcome) async throws
    /// Marks a run stopped before it finished (shutdown, Ctrl-C): `aborted`, chained.
    func abort(runID: Int64, at date: Date) async throws
}
