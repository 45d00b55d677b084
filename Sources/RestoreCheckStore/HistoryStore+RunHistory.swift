import Foundation
import GRDB
import RestoreCheckCore

/// The SQLite history as every process uses it (`RunHistory`): each call waits on GRDB's own
/// queue, never on a cooperative thread. The synchronous methods of the same names serve the
/// commands that run no event loop, and the tests.
extension HistoryStore: RunHistory {
    public func abortLeftovers() async throws -> Int { try await queue.write(Self.abortLeftovers) }

    public func prune(before cutoff: Date) async throws -> Int {
        try await queue.write { try Self.prune($0, before: cutoff) }
    }

    public func latestPerTarget() async throws -> [RunRecord] { try await queue.read(Self.latestPerTarget) }

    public func history(target: String, limit: Int) async throws -> [RunRecord] {
        try await queue.read { try Self.history($0, target: target, limit: limit) }
    }

    public func lastStarted() async throws -> [String: Date] { try await queue.read(Self.lastStarted) }

    public func verifiedRestorePoints() async throws -> [String: VerifiedRestorePoint] { try await queue.read(Self.verifiedRestorePoints) }

    public func findings(runID: Int64) async throws -> [Finding] {
        try await queue.read { try Self.findings($0, runID: runID) }
    }
}
