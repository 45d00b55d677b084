import Foundation

/// Records one claimed fleet job's run through the queue, fenced by the claim's attempt: the run's
/// start, its outcome (with the job's end, in one transaction) or its abort (the job goes back to
/// the queue). A write refused because the claim was lost is counted through `fenced` and nothing
/// of it lands.
public struct FencedRecorder: RunRecorder {
    public let queue: any FleetQueue
    public let claim: JobClaim
    public let fenced: @Sendable () -> Void

    public init(queue: any FleetQueue, claim: JobClaim, fenced: @escaping @Sendable () -> Void) {
        self.queue = queue
        self.claim = claim
        self.fenced = fenced
    }

    public func beginRun(target: String, tenant: String, started: Date, origin: String) async throws -> Int64 {
        try await counting { try await queue.beginRun(claim, started: started, origin: origin) }
    }

    public func complete(runID: Int64, outcome: Outcome) async throws {
        try await counting { try await queue.complete(claim, runID: runID, outcome: outcome) }
    }

    public func abort(runID: Int64, at date: Date) async throws {
        try await counting { try await queue.giveBack(claim, runID: runID, at: date) }
    }

    private func counting<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as FencedWriteError {
            fenced()
            throw error
        }
    }
}
