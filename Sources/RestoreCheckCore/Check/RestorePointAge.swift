import Foundation

/// How old a restore point is when a test starts, and whether its time can be believed: the one home
/// of the RPO rule.
///
/// A restore point's time comes from the backup (an archive's mtime, a snapshot's time, a canary's
/// capture time), and the backup is the attacker's: `touch -d`, `rsync -t` from a customer host,
/// `restic backup --time` or a canary signed with a future time can all date it ahead. Trusted,
/// such a point is "0 s old" for years and becomes the verified restore point, so the RPO alert can
/// never fire. A time later than the test's start by more than the target's `clock_skew` is
/// therefore a failed RPO (`rpo_exceeded`, "in the future: clock skew or forged"), and its age is
/// unknown, never negative. Within the allowance (two hosts' clocks a little apart) it is age 0.
public enum RestorePointAge: Sendable, Equatable {
    /// `seconds` old at the test's start (never negative).
    case age(Double)
    /// Dated `seconds` after the test's start, beyond the allowance.
    case future(Double)

    /// The default `clock_skew`: NTP-synchronised hosts agree to well under a second; five minutes
    /// covers a host whose clock drifted between syncs without hiding a forged date.
    public static let defaultAllowance = TimeSpan(seconds: 300)
    /// The largest `clock_skew` a config may set. It also bounds what history folds into the
    /// verified restore point (`VerifiedRestorePoint`), whatever an older version recorded.
    public static let maximumAllowance = TimeSpan(seconds: 86_400)

    public init(of time: Date, at started: Date, allowance: TimeSpan) {
        let age = started.timeIntervalSince(time)
        self = -age > allowance.seconds ? .future(-age) : .age(max(0, age))
    }

    /// The finding's words for a future restore point.
    public static func futureDetail(_ time: Date, ahead: Double, allowance: TimeSpan) -> String {
        "restore point dated \(time.formatted(.iso8601)), \(TimeSpan.format(ahead)) after the test started: "
            + "in the future (clock skew or forged; clock_skew allows \(TimeSpan.format(allowance.seconds)))"
    }
}
