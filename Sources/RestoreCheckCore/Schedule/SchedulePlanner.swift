import Foundation

/// Decides when a target is next due. Pure: the same inputs give the same answer, so the scheduler's
/// decisions are tested with explicit dates instead of sleeping.
public enum SchedulePlanner {
    /// The next start for a target whose previous test started at `lastStarted` (nil: never tested).
    ///
    /// - Overdue at start-up (the daemon was down): due now, plus jitter — once, not once per missed
    ///   interval, because the next interval is measured from this run's start.
    /// - Jitter: a deterministic offset in `[0, jitter)` derived from the target name and the cycle,
    ///   so restarts do not reshuffle starts and tests can predict them.
    /// - Window: a due time outside the window moves to the next opening; jitter is then kept inside
    ///   the window.
    public static func nextRun(target: String, schedule: Schedule, lastStarted: Date?, now: Date) -> Date {
        let base = lastStarted.map { $0.addingTimeInterval(schedule.every.seconds) } ?? now
        let due = max(base, now)
        let cycle = UInt64(max(0, base.timeIntervalSince1970.rounded()))
        var jitter = jitterOffset(target: target, cycle: cycle, limit: schedule.jitter.seconds)
        guard let window = schedule.window else { return due.addingTimeInterval(jitter) }
        let opening = window.nextOpening(atOrAfter: due)
        if opening > due {
            // Moved to a window opening: spread the starts over the first half of the window.
            jitter = jitterOffset(target: target, cycle: cycle, limit: min(schedule.jitter.seconds, window.length / 2))
            return opening.addingTimeInterval(jitter)
        }
        let candidate = due.addingTimeInterval(jitter)
        return window.contains(candidate) ? candidate : window.nextOpening(atOrAfter: candidate)
    }

    static func jitterOffset(target: String, cycle: UInt64, limit: Double) -> Double {
        guard limit > 0 else { return 0 }
        var random = SplitMix64(seed: fnv1a(target) ^ cycle)
        return random.nextUnit() * limit
    }

    /// FNV-1a: a stable hash (Swift's `Hasher` is seeded per process and would reshuffle on restart).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
