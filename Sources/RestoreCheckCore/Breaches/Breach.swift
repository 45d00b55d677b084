import Foundation

/// An event in the breach ledger.
public struct Breach: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, Hashable, CaseIterable {
        /// The verified restore point was older than the RPO.
        case rpoBreach = "rpo_breach"
        /// No restore point of the target has ever passed.
        case neverVerified = "never_verified"
        /// Tests projected the full restore over the RTO.
        case rtoBreach = "rto_breach"
        /// Tests failed: the backup would not restore as promised.
        case failedTest = "failed_test"
        /// Tests ended in error: restorecheck could not tell.
        case errorStreak = "error_streak"
        /// No test finished for longer than `ReportRules.untestedAfter`.
        case notTested = "not_tested"
        /// Tests failed on ransomware's traces: suspicious content (`content_checks: fail`) or a
        /// suspicious change between restore points (`change_checks: fail`).
        case suspicious = "suspicious"
    }

    public var target: String
    public var kind: Kind
    public var opened: Date
    /// Nil while the event is open at the report's end.
    public var resolved: Date?
    /// Until resolved, or until the report's end for an open event.
    public var durationSeconds: Double
    /// Tests that made up the event (0 for events of time alone).
    public var tests: Int
    public var detail: String
    public var isOpen: Bool { resolved == nil }
    /// `detail` as data, so a report writes it in its own language. Not encoded: the JSON report's
    /// contract is the English `detail`.
    public var structured: Detail?

    /// What a ledger event's detail says.
    public enum Detail: Sendable, Hashable {
        /// `tests` tests made up the streak, with these reasons.
        case streak(tests: Int, reasons: [String])
        /// No test for this long (a gap that ended).
        case gap(seconds: Double)
        /// No test since then (a gap still open).
        case since(Date)
        case noTestRecorded
        case neverPassed
        case olderThanRPO(rpo: Double)
        case noneVerifiedYet
    }

    enum CodingKeys: String, CodingKey {
        case target, kind, opened, resolved, durationSeconds, tests, detail
    }

    /// Equal as the JSON report holds it: `structured` is `detail` again, as data.
    public static func == (lhs: Breach, rhs: Breach) -> Bool {
        lhs.target == rhs.target && lhs.kind == rhs.kind && lhs.opened == rhs.opened && lhs.resolved == rhs.resolved
            && lhs.durationSeconds == rhs.durationSeconds && lhs.tests == rhs.tests && lhs.detail == rhs.detail
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(target)
        hasher.combine(kind)
        hasher.combine(opened)
        hasher.combine(detail)
    }

    public init(
        target: String, kind: Kind, opened: Date, resolved: Date?, durationSeconds: Double, tests: Int, detail: String,
        structured: Detail? = nil
    ) {
        self.structured = structured
        self.target = target
        self.kind = kind
        self.opened = opened
        self.resolved = resolved
        self.durationSeconds = durationSeconds
        self.tests = tests
        self.detail = detail
    }
}
