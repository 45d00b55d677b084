import Foundation

/// Which scheduled report deliveries were made, in the history database: a restarted daemon
/// catches up on a delivery it missed, and never sends one twice.
public protocol ReportDeliveryLedger: Sendable {
    /// The state of delivery `name`; the first time it is seen, `baseline` is recorded as its last
    /// due time (a delivery added to the config starts at its next scheduled time).
    func reportDeliveryState(name: String, baseline: Date) async throws -> ReportDeliveryState
    /// The delivery due at `due` was sent (or had nothing to send).
    func markReportDelivered(name: String, due: Date) async throws
    /// It failed; it is tried again from `retryAt`.
    func markReportFailed(name: String, error: String, retryAt: Date) async throws
}

/// One delivery's record.
public struct ReportDeliveryState: Sendable, Equatable {
    public var lastDue: Date
    public var attempts: Int
    public var retryAt: Date?
    public var lastError: String?

    public init(lastDue: Date, attempts: Int = 0, retryAt: Date? = nil, lastError: String? = nil) {
        self.lastDue = lastDue
        self.attempts = attempts
        self.retryAt = retryAt
        self.lastError = lastError
    }
}
