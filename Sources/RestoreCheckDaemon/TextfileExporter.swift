import Foundation
import RestoreCheckCore
import RestoreCheckMetrics
import RestoreCheckStore

/// Writes the outcome metrics for node_exporter's textfile collector, for hosts that prefer a timer
/// to a daemon, through `AtomicFile` (`NAME.prom.tmp-PID` then `rename(2)` to `NAME.prom`), so the
/// collector never reads half a file. Gauges only: a counter in a file rewritten by short-lived processes would count nothing.
public enum TextfileExporter {
    public static let fileName = "restorecheck.prom"

    public static func write(config: Config, store: (any HistoryDatabase)?, outcomes: [Outcome], directory: String) async throws {
        let metrics = OutcomeMetrics(version: "", includeCounters: false, includeBuildInfo: false)
        var seeds: [String: OutcomeMetrics.Seed] = [:]
        if let store { seeds = try await DaemonContext.seeds(from: store) }
        // This run's outcomes win over history (history may be unavailable).
        for outcome in outcomes {
            var seed = seeds[outcome.target] ?? OutcomeMetrics.Seed(latest: nil, verified: nil)
            seed.latest = outcome
            seed.verified = VerifiedRestorePoint.folding(seed.verified, outcome)
            seeds[outcome.target] = seed
        }
        metrics.configure(targets: config.targets, seeds: seeds)
        metrics.configLoaded(successfully: true)
        // The collector never reads half a file: written beside it, then renamed over it.
        try AtomicFile.write("\(directory)/\(fileName)", pieces: [String(decoding: metrics.exposition(), as: UTF8.self)])
    }
}
