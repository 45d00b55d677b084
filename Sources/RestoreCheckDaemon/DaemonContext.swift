import Foundation
import Logging
import RestoreCheckCore
import RestoreCheckMetrics
import RestoreCheckStore
import Synchronization

/// What the daemon's services share: the current config (swapped atomically on reload), the history,
/// the metrics, the notifier and the scheduler's event stream.
public final class DaemonContext: Sendable {
    private let current: Mutex<Config>
    public let configPath: String
    public let store: any HistoryDatabase
    public let metrics: OutcomeMetrics
    public let notifier: SystemdNotifier
    public let logger: Logger
    public let workerExecutable: String
    /// restorecheck's version, for the fleet's heartbeat.
    public let version: String
    /// `serve --node`: this host's name, kept over every reload of the config.
    public let nodeOverride: String?
    /// The wall clock; injected in tests.
    public let now: @Sendable () -> Date
    /// Events for the scheduler loop (ticks, config swapped, tests finished).
    let events: AsyncStream<SchedulerEvent>
    let post: AsyncStream<SchedulerEvent>.Continuation

    public init(
        config: Config, configPath: String, store: any HistoryDatabase, metrics: OutcomeMetrics, notifier: SystemdNotifier,
        logger: Logger, workerExecutable: String, version: String = "unknown", nodeOverride: String? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        var config = config
        if let nodeOverride { config.fleet.node = nodeOverride }
        current = Mutex(config)
        self.nodeOverride = nodeOverride
        self.configPath = configPath
        self.store = store
        self.metrics = metrics
        self.notifier = notifier
        self.logger = logger
        self.workerExecutable = workerExecutable
        self.version = version
        self.now = now
        (events, post) = AsyncStream.makeStream(of: SchedulerEvent.self)
    }

    public var config: Config { current.withLock { $0 } }

    /// Installs a new, already validated config: one atomic swap, then metrics and scheduler follow.
    public func apply(_ config: Config) async {
        var config = config
        if let nodeOverride { config.fleet.node = nodeOverride }
        current.withLock { $0 = config }
        metrics.configure(targets: config.targetsTestedHere, seeds: (try? await seeds()) ?? [:])
        post.yield(.reconfigured)
    }

    /// What history says about every target, for the metrics at start-up and after a reload.
    public func seeds() async throws -> [String: OutcomeMetrics.Seed] { try await Self.seeds(from: store) }

    /// The metrics seeds history gives: each target's newest outcome and its verified restore point.
    /// Shared with the textfile exporter so both export the same truth.
    /// Read through `RunHistory`, off the cooperative pool: a reload decodes every target's newest
    /// outcome.
    public static func seeds(from store: some RunHistory) async throws -> [String: OutcomeMetrics.Seed] {
        let latest = try await store.latestPerTarget()
        let verified = try await store.verifiedRestorePoints()
        var seeds: [String: OutcomeMetrics.Seed] = [:]
        for record in latest {
            seeds[record.target] = OutcomeMetrics.Seed(latest: record.outcome, verified: verified[record.target])
        }
        for (target, point) in verified where seeds[target] == nil {
            seeds[target] = OutcomeMetrics.Seed(latest: nil, verified: point)
        }
        return seeds
    }
}

/// Messages to the scheduler loop.
enum SchedulerEvent: Sendable {
    case tick
    case reconfigured
    case finished(target: String, started: Date)
}
