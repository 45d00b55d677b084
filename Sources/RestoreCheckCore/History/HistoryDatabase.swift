import Foundation

/// The whole history as a process opens it, whichever database holds it: the SQLite file in
/// `state_dir` (`HistoryStore`) or a fleet's PostgreSQL database (`PostgresHistory`). The daemon and
/// the commands hold this, never a concrete store.
public protocol HistoryDatabase: RunHistory, ReportDeliveryLedger {
    /// Where it is, for messages (a path or a `postgresql://` address, never a password).
    var location: String { get }
    /// Recomputes the evidence chain (`EvidenceWalk`); with `retention`, checks the anchor against it.
    func verifyEvidence(since: Date?, retention: TimeSpan?, now: Date) async throws -> EvidenceCheck
    /// The stored entry hash of each run (runs not in the history are absent).
    func entryHashes(runIDs: [Int64]) async throws -> [Int64: String]
    /// Releases its connections.
    func close()
}
