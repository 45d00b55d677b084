import Foundation
import Logging
import RestoreCheckCore
import RestoreCheckMetrics

/// The planner's round, run by the node holding the planner's lock (`FleetSchedulerService`), at
/// most every `interval`:
/// 1. record the jobs nobody started within their start window as `not_started` runs;
/// 2. queue the targets that are due (`FleetPlanner`), `overdue` before `scheduled`.
/// (Expired leases are reaped by every node, `FleetSchedulerService`: a paused planner keeps its
/// lock until the server ends its idle session, and its jobs must not wait for that.)
/// Each step is one transaction; a planner that dies between two leaves nothing half done, and the
/// next planner's round does what is left.
struct FleetPlanning {
    let context: DaemonContext
    let queue: any FleetQueue
    let metrics: FleetNodeMetrics
    private var planner = FleetPlanner()
    private var lastRound: Date?

    init(context: DaemonContext, queue: any FleetQueue, metrics: FleetNodeMetrics) {
        self.context = context
        self.queue = queue
        self.metrics = metrics
    }

    /// How often the planner plans: a due test waits at most this long to be queued.
    static func interval(lease: TimeInterval) -> TimeInterval { min(15, max(1, lease / 4)) }

    mutating func round(config: Config) async {
        let now = context.now()
        if let lastRound, now.timeIntervalSince(lastRound) < Self.interval(lease: config.fleet.lease.seconds) { return }
        lastRound = now
        let logger = context.logger
        do {
            try await queue.recordPlanner(now: now)
            for target in try await queue.expireUnstarted(now: now, targets: config.targets) {
                logger.error("fleet: the test of \(target) was not started within its start window; recorded as not_started")
            }
            // The open jobs before the last starts: a job that ends in between is then either still
            // open or already in the last starts (its run and its end commit together). Read the
            // other way round, it would be in neither, and its target queued a second time (seen in
            // the fleet bench: 2,001 tests of 2,000 targets).
            let open = try await queue.openJobs()
            let due = planner.due(targets: config.targets, lastStarted: try await context.store.lastStarted(), open: open, now: now)
            guard !due.isEmpty else { return }
            let jobs = FleetPlanner.prioritised(due, targets: config.targets, verified: try await context.store.verifiedRestorePoints(), now: now)
            let added = try await queue.enqueue(jobs, now: now)
            if added > 0 { logger.info("fleet: queued \(added) test(s)", metadata: ["targets": "\(jobs.map(\.target).joined(separator: ","))"]) }
        } catch {
            metrics.databaseError()
            logger.error("fleet: the planner's round failed (the next round tries again): \(error)")
        }
    }
}
