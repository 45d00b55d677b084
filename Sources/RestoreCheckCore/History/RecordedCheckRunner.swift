import Foundation

/// Runs a test and records it in the history: a `started` row before the archive is opened, the
/// outcome (or `aborted`) after. Shared by the daemon and `restorecheck run` so both write one truth.
public struct RecordedCheckRunner: Sendable {
    public let runner: CheckRunner
    /// Where the run is recorded: the history, or a fleet job's fenced recorder (`FencedRecorder`).
    /// Nil when history is unavailable (the test still runs; `warn` says why once per problem).
    public let store: (any RunRecorder)?
    /// `serve` or `run`: who started the test.
    public let origin: String
    public let warn: @Sendable (String) -> Void

    public init(runner: CheckRunner, store: (any RunRecorder)?, origin: String, warn: @escaping @Sendable (String) -> Void) {
        self.runner = runner
        self.store = store
        self.origin = origin
        self.warn = warn
    }

    /// Tests `target`; nil when cancelled (the run is then recorded `aborted`).
    public func check(
        _ target: Target, seed: UInt64, cancellation: CancellationFlag = CancellationFlag(),
        progress: @escaping @Sendable (CheckRunner.Progress) -> Void = { _ in }
    ) async -> Outcome? {
        var runID: Int64?
        do {
            runID = try await store?.beginRun(target: target.name, tenant: target.tenant, started: runner.now(), origin: origin)
        } catch {
            warn("history: cannot record the start of \(target.tenant)/\(target.name): \(error)")
        }
        let outcome = await runner.check(target, seed: seed, cancellation: cancellation, progress: progress)
        guard let runID, let store else { return outcome }
        do {
            if let outcome {
                try await store.complete(runID: runID, outcome: outcome)
            } else {
                try await store.abort(runID: runID, at: runner.now())
            }
        } catch {
            warn("history: cannot record the outcome of \(target.tenant)/\(target.name): \(error)")
        }
        return outcome
    }
}
