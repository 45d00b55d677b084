import Foundation
import RestoreCheckCore

/// `restorecheck check`: the targets' state in the Monitoring Plugins convention, from the local
/// history only, for Icinga, Checkmk, Zabbix, Nagios and the RMMs that run such plugins (README "RMM
/// and monitoring checks").
///
/// The rules, worst first (the contract):
/// - CRITICAL: the target has no verified restore point (never passed a test), or it is older than
///   the target's RPO, or the last finished test failed: the backup would not restore as promised.
/// - WARNING: the last finished test was `error` (restorecheck could not tell), or no test finished
///   for `ReportRules.untestedAfter` (the report's `not_tested`): a control that stopped running.
/// - OK otherwise.
/// UNKNOWN (3) is the check's own failure: no such target, a config or history it cannot read.
public struct MonitoringCheck: Sendable {
    /// A plugin's state; the raw value is its exit status.
    public enum State: Int32, Comparable, Sendable {
        case ok = 0, warning = 1, critical = 2, unknown = 3

        public var label: String {
            switch self {
            case .ok: "OK"
            case .warning: "WARNING"
            case .critical: "CRITICAL"
            case .unknown: "UNKNOWN"
            }
        }

        public static func < (lhs: State, rhs: State) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// One target's state and why.
    public struct TargetState: Sendable {
        public var tenant: String
        public var target: String
        public var state: State
        /// What the operator reads: the reasons, worst first, joined by "; ".
        public var text: String
        /// The verified restore point's age in seconds (nil: never verified), and the RPO.
        public var age: Double?
        public var rpo: Double
    }

    public let rules: ReportRules

    public init(rules: ReportRules = ReportRules()) {
        self.rules = rules
    }

    /// The state of `target` at `now`, from its newest finished run (nil: none) and its verified
    /// restore point (`VerifiedRestorePoint`, the history's one rule for it).
    public func judge(_ target: Target, lastFinished: RunRecord?, verified: VerifiedRestorePoint?, now: Date) -> TargetState {
        let rpo = target.rpo.seconds
        var critical: [String] = []
        var warning: [String] = []
        var age: Double?
        if let verified {
            // A point dated after `now` is never folded (`VerifiedRestorePoint`), so the age is not
            // negative but for a clock that went back since; shown as 0 then.
            age = max(0, now.timeIntervalSince(verified.backup))
            if let age, age > rpo {
                critical.append("verified restore point \(TimeSpan.format(age)) old, over the RPO of \(TimeSpan.format(rpo))")
            }
        } else {
            critical.append("never verified: no test has passed")
        }
        if let last = lastFinished {
            let reasons = last.reasons.isEmpty ? "" : " (\(last.reasons.joined(separator: ", ")))"
            switch last.status {
            case .failed: critical.append("last test failed" + reasons)
            case .error: warning.append("last test could not tell" + reasons)
            case .passed, .started, .aborted: break
            }
            let finished = last.finished ?? last.started
            if now.timeIntervalSince(finished) > rules.untestedAfter {
                warning.append("not tested since \(finished.formatted(.iso8601))")
            }
        } else {
            warning.append("not tested yet")
        }
        let state: State = !critical.isEmpty ? .critical : !warning.isEmpty ? .warning : .ok
        var text = (critical + warning).joined(separator: "; ")
        if state == .ok, let age { text = "verified restore point \(TimeSpan.format(age)) old (RPO \(TimeSpan.format(rpo)))" }
        return TargetState(tenant: target.tenant, target: target.name, state: state, text: text, age: age, rpo: rpo)
    }

    /// The plugin's output and exit status: one status line (with performance data), then one line
    /// per target, the worst first. Names come from the MSP's config; the text from fixed rules and
    /// reason codes, never from a backup.
    public static func render(_ states: [TargetState]) -> (status: State, output: String) {
        guard !states.isEmpty else { return (.unknown, "RESTORECHECK UNKNOWN - no target matches") }
        let worst = states.map(\.state).max() ?? .unknown
        let ordered = states.sorted { ($0.state, $1.tenant, $1.target) > ($1.state, $0.tenant, $0.target) }
        let summary: String
        if states.count == 1, let only = states.first {
            summary = "\(only.tenant)/\(only.target): \(only.text)"
        } else {
            let counts = [State.critical, .warning, .ok].compactMap { state -> String? in
                let count = states.filter { $0.state == state }.count
                return count == 0 ? nil : "\(count) \(state.label.lowercased())"
            }
            let worstNames = ordered.prefix { $0.state == worst && worst != .ok }.prefix(3).map { "\($0.tenant)/\($0.target)" }
            summary = "\(states.count) targets: \(counts.joined(separator: ", "))"
                + (worstNames.isEmpty ? "" : " (\(worstNames.joined(separator: ", "))\(ordered.filter { $0.state == worst }.count > 3 ? ", ..." : ""))")
        }
        let perfdata = states.compactMap { state -> String? in
            let label = states.count == 1 ? "age" : "\(state.tenant)/\(state.target) age"
            // Monitoring Plugins: 'label'=value[unit];warn;crit;min. Critical is the RPO.
            return "'\(Self.perfLabel(label))'=\(state.age.map { "\(Int($0.rounded()))s" } ?? "U");;\(Int(state.rpo));0"
        }
        var lines = ["RESTORECHECK \(worst.label) - \(summary) | \(perfdata.joined(separator: " "))"]
        if states.count > 1 {
            lines += ordered.map { "\($0.tenant)/\($0.target): \($0.state.label): \($0.text)" }
        }
        return (worst, lines.joined(separator: "\n"))
    }

    /// A performance-data label: the convention forbids `'` and `=` in it.
    static func perfLabel(_ text: String) -> String {
        String(text.map { $0 == "'" || $0 == "=" || $0.isNewline ? "_" : $0 })
    }
}
