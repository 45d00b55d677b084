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

    public init(target: String, kind: Kind, opened: Date, resolved: Date?, durationSeconds: Double, tests: Int, detail: String) {
        self.target = target
        self.kind = kind
        self.opened = opened
        self.resolved = resolved
        self.durationSeconds = durationSeconds
        self.tests = tests
        self.detail = detail
    }
}
