import Foundation
import RestoreCheckCore

/// The SQLite file as the processes open it (`HistoryDatabase`).
extension HistoryStore: HistoryDatabase {
    public var location: String { path }

    public func verifyEvidence(since: Date?, retention: TimeSpan?, now: Date) async throws -> EvidenceCheck {
        try await DedicatedThread.run(name: "evidence") {
            Result { try self.verifyEvidence(since: since, retention: retention, now: now) as EvidenceCheck }
        }.get()
    }

    public func entryHashes(runIDs: [Int64]) async throws -> [Int64: String] {
        try await DedicatedThread.run(name: "evidence") { Result { try self.entryHashes(runIDs: runIDs) as [Int64: String] } }.get()
    }

    /// Nothing to release: the file closes with the store.
    public func close() {}
}
