import Foundation

/// What changed for one target between the breaches the outbox last recorded as open and those the
/// ledger (`BreachLedger.events`, the reports' rules) finds open now. Pure, so every history store
/// (SQLite, PostgreSQL) records the same events from the same history.
public struct BreachChanges: Sendable {
    /// Events to record, in order (a breach that closed and opened again between two evaluations
    /// gives its `resolved` before the new `opened`). `sequence` is 0: the store assigns it.
    public var events: [BreachEvent] = []

    /// - Parameters:
    ///   - tests: the target's finished tests, oldest first (restores left out);
    ///   - watchedSince: when the outbox first saw the target (a target never tested counts as
    ///     untested from then, so a target added to the config is not reported at once);
    ///   - previouslyOpen: the target's breaches the outbox recorded as open, by kind.
    public init(
        tenant: String, target: String, tests: [RecordedRun], rpoSeconds: Double, rules: ReportRules, watchedSince: Date, now: Date,
        previouslyOpen: [BreachEvent]
    ) {
        let ledger = BreachLedger.events(
            target: target, tests: tests, rpo: rpoSeconds, rules: rules,
            periodStart: watchedSince.addingTimeInterval(rules.untestedAfter), end: now
        ).events
        var openNow: [Breach.Kind: Breach] = [:]
        for breach in ledger where breach.isOpen && breach.opened <= now { openNow[breach.kind] = breach }

        // One order for every evaluation (the kinds' declared order), so a receiver sees a target's
        // breaches resolve in the order they were opened in.
        let order = Dictionary(uniqueKeysWithValues: Breach.Kind.allCases.enumerated().map { ($1, $0) })
        for previous in previouslyOpen.sorted(by: { order[$0.kind, default: 0] < order[$1.kind, default: 0] }) {
            if let current = openNow[previous.kind], Self.sameTime(current.opened, previous.opened) { continue }
            // Closed: the ledger's record of it gives when and how (or now, if history that opened
            // it was pruned meanwhile).
            let closing = ledger.first { $0.kind == previous.kind && Self.sameTime($0.opened, previous.opened) && !$0.isOpen }
            var resolved = previous
            resolved.state = .resolved
            resolved.resolved = closing?.resolved ?? now
            resolved.detail = closing?.detail ?? previous.detail
            resolved.recorded = now
            events.append(resolved)
        }
        for kind in Breach.Kind.allCases {
            guard let current = openNow[kind] else { continue }
            if let previous = previouslyOpen.first(where: { $0.kind == kind }), Self.sameTime(current.opened, previous.opened) { continue }
            events.append(BreachEvent(
                sequence: 0, breachID: BreachEvent.breachID(tenant: tenant, target: target, kind: kind, opened: current.opened),
                state: .opened, tenant: tenant, target: target, kind: kind, opened: current.opened, resolved: nil,
                detail: current.detail, recorded: now))
        }
    }

    /// The breaches of `previouslyOpen` resolved because their target left the config.
    public init(removedTargetBreaches previouslyOpen: [BreachEvent], now: Date) {
        events = previouslyOpen.map { previous in
            var resolved = previous
            resolved.state = .resolved
            resolved.resolved = now
            resolved.detail = "the target was removed from the config"
            resolved.recorded = now
            return resolved
        }
    }

    /// Opening times as stored (milliseconds) and as computed agree to a millisecond.
    private static func sameTime(_ lhs: Date, _ rhs: Date) -> Bool {
        abs(lhs.timeIntervalSince(rhs)) < 0.001
    }
}
