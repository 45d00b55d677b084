import Foundation

/// A target's verified restore point over time: a step function that changes when a passing test of
/// a newer restore point finishes. Folded through `VerifiedRestorePoint` (the rule's one home), so
/// the report's verified RPO is the one `/metrics` and `status` show.
///
/// Between steps the verified backup's age grows one second per second: age(t) = t − backup. Every
/// report number about the RPO is computed from these segments exactly, never by sampling.
public struct VerifiedAgeTimeline {
    /// From `time` on, `backup` is the verified restore point.
    public private(set) var steps: [(time: Date, backup: Date)] = []

    public init(runs: [RecordedRun]) {
        var point: VerifiedRestorePoint?
        for run in runs where run.status == .passed {
            let next = VerifiedRestorePoint.folding(point, status: .passed, backup: run.backupTimestamp, finished: run.finished)
            if let next, next.backup != point?.backup { steps.append((run.finished, next.backup)) }
            point = next
        }
    }

    /// The verified restore point in force at `time`.
    public func backup(at time: Date) -> Date? {
        steps.last(where: { $0.time <= time })?.backup
    }

    /// [start, end) pieces of `from..<to` over which the verified restore point is constant.
    public func segments(from: Date, to: Date) -> [(start: Date, end: Date, backup: Date?)] {
        guard from < to else { return [] }
        var result: [(Date, Date, Date?)] = []
        var start = from
        var backup = self.backup(at: from)
        for step in steps where step.time > from && step.time < to {
            result.append((start, step.time, backup))
            start = step.time
            backup = step.backup
        }
        result.append((start, to, backup))
        return result
    }

    /// Seconds of `from..<to` during which the verified backup was at most `rpo` seconds old.
    public func compliantSeconds(from: Date, to: Date, rpo: Double) -> Double {
        segments(from: from, to: to).reduce(0) { total, segment in
            guard let backup = segment.backup else { return total }
            // age ≤ rpo ⇔ t ≤ backup + rpo
            let limit = backup.addingTimeInterval(rpo)
            return total + max(0, min(limit, segment.end).timeIntervalSince(segment.start))
        }
    }

    /// Maximal intervals of `from..<to` during which no restore point within the RPO was verified.
    /// `end` is nil for an interval still open at `to`; `verified` says whether any restore point had
    /// passed when it opened.
    public func breaches(from: Date, to: Date, rpo: Double) -> [(start: Date, end: Date?, verified: Bool)] {
        var result: [(start: Date, end: Date?, verified: Bool)] = []
        for segment in segments(from: from, to: to) {
            let start = segment.backup.map { max(segment.start, $0.addingTimeInterval(rpo)) } ?? segment.start
            guard start < segment.end else { continue }
            if let last = result.last, last.end == start {
                result[result.count - 1].end = segment.end
            } else {
                result.append((start, segment.end, segment.backup != nil))
            }
        }
        if let last = result.last, last.end == to { result[result.count - 1].end = nil }
        return result
    }
}
