import Foundation

/// The fixed rules of a report (README "Report numbers").
public struct ReportRules: Sendable {
    /// A target with no finished test for this long is a `not_tested` event (a week: the issue an
    /// auditor raises first is a control that silently stopped running).
    public var untestedAfter: Double = 7 * 86_400
    /// Findings shown per test in the evidence; the rest are counted.
    public var findingsPerRun = 5

    public init() {}
}

/// Builds a target's ledger events from its whole recorded history (so an event open when the
/// period starts has its real opening time); the builder keeps those that overlap the period.
///
/// - failed_test: from the first failed test to the next passed one (errors in between do not end it);
/// - error_streak: from the first test in error to the next conclusive one (passed or failed);
/// - rto_breach: from the first test projected over the RTO to the next one projected within it;
/// - suspicious: from the first test failed on suspicious content or a suspicious change to the next
///   conclusive test without either (errors in between do not end it);
/// - not_tested: a gap between finished tests (or to the report's end) longer than `untestedAfter`,
///   opened when the gap passed that length;
/// - rpo_breach / never_verified: from `VerifiedAgeTimeline.breaches`.
public struct BreachLedger {
    public let target: String
    public let rules: ReportRules
    public let end: Date
    public private(set) var events: [Breach] = []

    private var failed: Streak?
    private var errors: Streak?
    private var slow: Streak?
    private var suspicious: Streak?
    private var lastTested: Date?

    /// An event in progress.
    private struct Streak {
        var opened: Date
        var tests = 1
        var reasons: [String] = []

        mutating func add(_ more: [String]) {
            tests += 1
            for reason in more where !reasons.contains(reason) { reasons.append(reason) }
        }
    }

    public init(target: String, rules: ReportRules, end: Date) {
        self.target = target
        self.rules = rules
        self.end = end
    }

    public mutating func record(_ run: RecordedRun) {
        if run.status != .aborted {
            if let lastTested, run.finished.timeIntervalSince(lastTested) > rules.untestedAfter {
                emit(.notTested, opened: lastTested.addingTimeInterval(rules.untestedAfter), resolved: run.finished, tests: 0,
                     detail: "no test for \(TimeSpan.format(run.finished.timeIntervalSince(lastTested)))",
                     structured: .gap(seconds: run.finished.timeIntervalSince(lastTested)))
            }
            lastTested = run.finished
        }
        switch run.status {
        case .passed:
            close(\.failed, .failedTest, at: run.finished, what: "failed test(s)")
            close(\.errors, .errorStreak, at: run.finished, what: "test(s) in error")
        case .failed:
            open(\.failed, run)
            close(\.errors, .errorStreak, at: run.finished, what: "test(s) in error")
        case .error:
            open(\.errors, run)
        case .aborted, .started:  // `finishedRuns` never has `started`
            break
        }
        let traces = run.reasons.filter(Self.suspiciousReasons.contains)
        if !traces.isEmpty {
            var flagged = run
            flagged.reasons = traces
            open(\.suspicious, flagged)
        } else if run.status == .passed || run.status == .failed {
            close(\.suspicious, .suspicious, at: run.finished, what: "test(s) with suspicious content or changes")
        }
        if let met = run.rtoMet {
            if met { close(\.slow, .rtoBreach, at: run.finished, what: "test(s) projected over the RTO") } else { open(\.slow, run) }
        }
    }

    /// Closes the history: open streaks stay open, and a target untested for too long at `end` is.
    public mutating func finish(periodStart: Date) {
        close(\.failed, .failedTest, at: nil, what: "failed test(s)")
        close(\.errors, .errorStreak, at: nil, what: "test(s) in error")
        close(\.slow, .rtoBreach, at: nil, what: "test(s) projected over the RTO")
        close(\.suspicious, .suspicious, at: nil, what: "test(s) with suspicious content or changes")
        if let lastTested {
            if end.timeIntervalSince(lastTested) > rules.untestedAfter {
                emit(.notTested, opened: lastTested.addingTimeInterval(rules.untestedAfter), resolved: nil, tests: 0,
                     detail: "no test since \(ReportFormat.time(lastTested))", structured: .since(lastTested))
            }
        } else {
            emit(.notTested, opened: periodStart, resolved: nil, tests: 0, detail: "no test of this target is recorded", structured: .noTestRecorded)
        }
    }

    /// The reasons that open a `suspicious` event.
    static let suspiciousReasons: Set<String> = [OutcomeReason.suspiciousContent.rawValue, OutcomeReason.suspiciousChange.rawValue]

    /// Adds the RPO events of the target's verified-age timeline.
    public mutating func addRPOBreaches(_ timeline: VerifiedAgeTimeline, from: Date, rpo: Double) {
        for breach in timeline.breaches(from: from, to: end, rpo: rpo) {
            if !breach.verified, breach.end == nil {
                emit(.neverVerified, opened: breach.start, resolved: nil, tests: 0, detail: "no restore point of this target has passed a test",
                     structured: .neverPassed)
            } else {
                emit(.rpoBreach, opened: breach.start, resolved: breach.end, tests: 0,
                     detail: breach.verified
                        ? "verified restore point older than the RPO (\(TimeSpan.format(rpo)))"
                        : "no restore point verified yet",
                     structured: breach.verified ? .olderThanRPO(rpo: rpo) : .noneVerifiedYet)
            }
        }
    }

    private mutating func open(_ streak: WritableKeyPath<BreachLedger, Streak?>, _ run: RecordedRun) {
        if self[keyPath: streak] == nil {
            self[keyPath: streak] = Streak(opened: run.finished, reasons: run.reasons)
        } else {
            self[keyPath: streak]?.add(run.reasons)
        }
    }

    private mutating func close(_ streak: WritableKeyPath<BreachLedger, Streak?>, _ kind: Breach.Kind, at resolved: Date?, what: String) {
        guard let current = self[keyPath: streak] else { return }
        let reasons = current.reasons.isEmpty ? "" : ": " + current.reasons.joined(separator: ", ")
        emit(kind, opened: current.opened, resolved: resolved, tests: current.tests, detail: "\(current.tests) \(what)\(reasons)",
             structured: .streak(tests: current.tests, reasons: current.reasons))
        self[keyPath: streak] = nil
    }

    private mutating func emit(_ kind: Breach.Kind, opened: Date, resolved: Date?, tests: Int, detail: String, structured: Breach.Detail) {
        events.append(Breach(
            target: target, kind: kind, opened: opened, resolved: resolved,
            durationSeconds: (resolved ?? end).timeIntervalSince(opened), tests: tests, detail: detail, structured: structured))
    }
}

extension BreachLedger {
    /// Every ledger event of one target up to `end`, from its tests (oldest first; restores left out
    /// by the caller): the one place the ledger is driven, for reports (which keep the events that
    /// overlap their period) and for notifications (which keep the open ones).
    ///
    /// `periodStart` is when a target with no test at all counts as untested from.
    public static func events(
        target: String, tests runs: [RecordedRun], rpo: Double, rules: ReportRules, periodStart: Date, end: Date
    ) -> (events: [Breach], timeline: VerifiedAgeTimeline, firstTest: Date?) {
        let timeline = VerifiedAgeTimeline(runs: runs)
        var ledger = BreachLedger(target: target, rules: rules, end: end)
        for run in runs { ledger.record(run) }
        ledger.finish(periodStart: periodStart)
        let firstTest = runs.first { $0.status != .aborted }?.finished
        if let firstTest { ledger.addRPOBreaches(timeline, from: firstTest, rpo: rpo) }
        return (ledger.events, timeline, firstTest)
    }
}
