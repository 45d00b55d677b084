import Foundation

/// A target's verified restore point: the backup timestamp of the newest restore point that *passed*
/// a restore test (the honest RPO), and when the last passing test finished.
///
/// This is the one home of that rule. History folds its passed runs through `folding`, the live
/// gauges fold each finished test through it, and the textfile exporter folds this run's outcomes
/// onto history's point the same way, so `status`, `/metrics`, the textfile and reports agree. An
/// older restore point that passes after a newer one (a re-test of last week's archive) never moves
/// the point back.
public struct VerifiedRestorePoint: Sendable, Hashable {
    /// The restore point's backup timestamp.
    public var backup: Date
    /// When the newest passing test finished (`last_success_timestamp_seconds`).
    public var verifiedAt: Date

    public init(backup: Date, verifiedAt: Date) {
        self.backup = backup
        self.verifiedAt = verifiedAt
    }

    /// `current` after a test with this status, restore point and end time.
    /// A restore point dated after its test finished by more than any allowed clock skew is never
    /// folded (`RestorePointAge`): such a test fails today, but history written by an older version
    /// may hold one as passed, and it would pin the verified restore point in the future.
    public static func folding(_ current: VerifiedRestorePoint?, status: OutcomeStatus, backup: Date?, finished: Date) -> VerifiedRestorePoint? {
        guard status == .passed, let backup, backup.timeIntervalSince(finished) <= RestorePointAge.maximumAllowance.seconds else { return current }
        guard let current else { return VerifiedRestorePoint(backup: backup, verifiedAt: finished) }
        return VerifiedRestorePoint(backup: max(current.backup, backup), verifiedAt: max(current.verifiedAt, finished))
    }

    /// `current` after `outcome`.
    public static func folding(_ current: VerifiedRestorePoint?, _ outcome: Outcome) -> VerifiedRestorePoint? {
        folding(current, status: outcome.status, backup: outcome.backupTimestamp, finished: outcome.finished)
    }
}
