import Foundation

/// Checks one restored file in scratch. Runs in the restore worker, under its rlimits and deadline:
/// the file is as hostile as the archive it came from.
public protocol FileValidator: Sendable {
    /// Nil when the file passes; otherwise the finding's reason (`validation_failed`, or
    /// `limit_exceeded` for a bomb, `internal_error` when the check could not run) and detail.
    func validate(_ path: String, context: ValidationContext) -> (reason: OutcomeReason, detail: String)?
}

/// What a validator works under besides the file: the test's limits, and a heartbeat.
public struct ValidationContext {
    /// The outer test's limits (`max_bytes`, `max_entries`, `max_ratio` apply to what a check decodes).
    public let limits: RestoreLimits
    /// Called now and then by a long check that is making progress (every 64 MiB decoded, say), so
    /// the supervisor's stall watchdog (`limits.stall_timeout`) sees a big nested archive as alive.
    public let alive: () -> Void

    public init(limits: RestoreLimits, alive: @escaping () -> Void = {}) {
        self.limits = limits
        self.alive = alive
    }
}
