import Foundation

/// The outcome recorded for a fleet job nobody started within its start window: status `error`,
/// reason `not_started` (restorecheck could not tell: nothing was tested), with the cause an operator
/// can act on: no live node serves the target's location, or the nodes that do were busy.
public enum NotStarted {
    /// `servers`: the live nodes that may test the target.
    public static func outcome(target: Target, due: Date, startBy: Date, servers: [String], now: Date) -> Outcome {
        let builder = OutcomeBuilder(target: target, seed: 0, started: due, now: { now })
        let window = TimeSpan(seconds: startBy.timeIntervalSince(due)).description
        let cause =
            servers.isEmpty
            ? target.location.map { "no live node serves location '\($0)'" } ?? "no node is live"
            : "the nodes that may test it were busy (\(servers.sorted().joined(separator: ", ")))"
        return builder.fail(SourceFailure(reason: .notStarted, summary: "not started within its start window (\(window)): \(cause)"))
    }
}
