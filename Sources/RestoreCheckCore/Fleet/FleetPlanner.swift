import Foundation

/// The planner's rule (one node at a time runs it, under `PlannerLock`): which targets are due now,
/// in which priority class, and by when each must start. Pure but for its memory of each target's
/// next start, which keeps a jittered start stable from one planning round to the next (computed
/// once per previous test, as `SchedulerState` does on a single host).
public struct FleetPlanner: Sendable {
    private var planned: [String: (lastStarted: Date?, schedule: Schedule, next: Date)] = [:]

    public init() {}

    /// The jobs to queue at `now` for `targets` (the planner's config), given when each target's
    /// newest test started and the targets that already have a job; all `scheduled` until
    /// `prioritised`. The start window is the target's `every`: by then its next test is due, so a
    /// job not started by then is `not_started`.
    public mutating func due(targets: [Target], lastStarted: [String: Date], open: Set<String>, now: Date) -> [DueJob] {
        var jobs: [DueJob] = []
        var kept: [String: (lastStarted: Date?, schedule: Schedule, next: Date)] = [:]
        for target in targets {
            let last = lastStarted[target.name]
            var entry = planned[target.name]
            if entry == nil || entry?.lastStarted != last || entry?.schedule != target.schedule {
                entry = (last, target.schedule, SchedulePlanner.nextRun(target: target.name, schedule: target.schedule, lastStarted: last, now: now))
            }
            guard let entry else { continue }
            kept[target.name] = entry
            guard entry.next <= now, !open.contains(target.name) else { continue }
            jobs.append(
                DueJob(
                    target: target.name, tenant: target.tenant, location: target.location, priority: .scheduled,
                    due: entry.next, startBy: entry.next.addingTimeInterval(target.schedule.every.seconds)))
        }
        planned = kept
        return jobs
    }

    /// `jobs` with their priority class: `overdue` when the target was never verified or its
    /// verified restore point is older than its RPO, else `scheduled`. Separate from `due` so the
    /// planner reads the verified restore points (a scan of passed runs) only when a job is due.
    public static func prioritised(_ jobs: [DueJob], targets: [Target], verified: [String: VerifiedRestorePoint], now: Date) -> [DueJob] {
        let rpo = Dictionary(targets.map { ($0.name, $0.rpo.seconds) }, uniquingKeysWith: { first, _ in first })
        return jobs.map { job in
            var job = job
            let overdue = verified[job.target].map { now.timeIntervalSince($0.backup) > rpo[job.target] ?? .infinity } ?? true
            job.priority = overdue ? .overdue : .scheduled
            return job
        }
    }
}
