import ArgumentParser
import Foundation
import RestoreCheckCore

/// `restorecheck run --fleet [TARGET...]`: queues a `run-now` job per target in the fleet's queue
/// and waits for the fleet's results (whichever node serving each target's location runs it). The
/// verdicts and exit code are `run`'s; a job nobody could start (no live node serves its location)
/// comes back `error` with reason `not_started` at the end of its start window, so `--fleet` waits
/// at most that long. Interrupted, it stops waiting: the jobs stay queued and run.
enum FleetRun {
    /// How often the jobs are looked at while waiting.
    static let poll: Duration = .milliseconds(500)

    static func run(config: Config, targets: [Target], cancellation: CancellationFlag) async throws -> RunSummary {
        guard config.postgresql != nil else {
            RunCommand.warn("run --fleet needs history.postgresql: with the SQLite history there is no fleet to ask")
            throw ExitCode(ExitStatus.usage)
        }
        let store = try await HistoryCommands.open(config)
        defer { store.close() }
        guard let queue = store as? any FleetQueue else { throw ExitCode(ExitStatus.error) }
        // Per target, the job to wait on (a superseded job hands over to the one standing for it).
        var waiting = try await queue.requestNow(targets, now: Date())
        RunCommand.warn("queued \(waiting.count) run-now job(s) in the fleet's queue; waiting for the fleet's results")
        var outcomes: [Int: Outcome] = [:]
        while outcomes.count < targets.count {
            if cancellation.isCancelled {
                RunCommand.warn("interrupted: stopped waiting; the jobs stay queued and the fleet runs them")
                throw ExitCode(ExitStatus.interrupted)
            }
            for (index, target) in targets.enumerated() where outcomes[index] == nil {
                guard let record = try await queue.job(waiting[index]), record.state == .done || record.state == .notStarted else { continue }
                if let next = record.supersededBy {
                    waiting[index] = next
                } else if let runID = record.runID,
                    // The job's run: its outcome, as the node that ran it recorded it.
                    let outcome = try await store.history(target: target.name, limit: 20).first(where: { $0.id == runID })?.outcome
                {
                    outcomes[index] = outcome
                }
            }
            if outcomes.count < targets.count { try await Task.sleep(for: poll) }
        }
        return RunSummary(results: targets.indices.compactMap { outcomes[$0] })
    }
}
