import Foundation

/// The scheduler's bookkeeping: which target is due when, which are running, and what to start now.
///
/// A value type driven by explicit `now` dates: the daemon's loop feeds it the wall clock, tests feed
/// it whatever dates they need. It enforces the two rules a restore host depends on:
/// at most `maxConcurrent` tests at once (restores are I/O-heavy: a queue, never a stampede), and
/// never a second test of a target whose previous test is still running.
public struct SchedulerState: Sendable {
    public private(set) var nextRun: [String: Date] = [:]
    public private(set) var running: Set<String> = []
    public var maxConcurrent: Int
    private var schedules: [String: Schedule] = [:]
    /// Config order, to break ties between targets due at the same instant.
    private var order: [String] = []

    public init(maxConcurrent: Int) {
        self.maxConcurrent = max(1, maxConcurrent)
    }

    /// Installs the targets of a (re)loaded config. Targets that stay keep their next-run time unless
    /// their schedule changed; new ones are planned from their last start in history; removed ones
    /// are forgotten (a running test of a removed target finishes, but is not rescheduled).
    public mutating func configure(_ targets: [(name: String, schedule: Schedule)], lastStarted: [String: Date], now: Date) {
        var nextRun: [String: Date] = [:]
        var schedules: [String: Schedule] = [:]
        for (name, schedule) in targets {
            schedules[name] = schedule
            if let existing = self.nextRun[name], self.schedules[name] == schedule {
                nextRun[name] = existing
            } else {
                nextRun[name] = SchedulePlanner.nextRun(target: name, schedule: schedule, lastStarted: lastStarted[name], now: now)
            }
        }
        self.nextRun = nextRun
        self.schedules = schedules
        self.order = targets.map(\.name)
    }

    /// Targets to start at `now`, earliest due first, within the concurrency limit; marks them running.
    public mutating func takeDue(now: Date) -> [String] {
        let free = maxConcurrent - running.count
        guard free > 0 else { return [] }
        let due = order
            .filter { !running.contains($0) }
            .compactMap { name in nextRun[name].map { (name, $0) } }
            .filter { $0.1 <= now }
            .sorted { $0.1 < $1.1 }
            .prefix(free)
            .map(\.0)
        running.formUnion(due)
        return due
    }

    /// Records that `target`'s test (started at `started`) finished, and plans its next one.
    public mutating func finished(_ target: String, started: Date, now: Date) {
        running.remove(target)
        guard let schedule = schedules[target] else {
            nextRun[target] = nil
            return
        }
        nextRun[target] = SchedulePlanner.nextRun(target: target, schedule: schedule, lastStarted: started, now: now)
    }

    /// Runs `target` as soon as a slot is free (e.g. on demand).
    public mutating func runSoon(_ target: String, now: Date) {
        guard schedules[target] != nil else { return }
        nextRun[target] = now
    }

    /// The earliest future start among targets not running: when the loop should wake next.
    public func nextWake() -> Date? {
        nextRun.filter { !running.contains($0.key) }.values.min()
    }
}
