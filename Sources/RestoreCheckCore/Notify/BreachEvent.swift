import Foundation

/// A notification: a breach-ledger event that opened or resolved, as the outbox holds it and a
/// receiver gets it (README "Notifications"; the field names are a contract).
///
/// `breachID` is the same for a breach's `opened` and its `resolved`, and never changes when the
/// event is sent again (at least once: a receiver de-duplicates on it and `state`).
public struct BreachEvent: Sendable, Hashable {
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        case opened, resolved
    }

    /// The outbox's order (ascending as recorded).
    public var sequence: Int64
    public var breachID: String
    public var state: State
    public var tenant: String
    public var target: String
    public var kind: Breach.Kind
    public var opened: Date
    /// Set on `resolved`.
    public var resolved: Date?
    public var detail: String
    /// When the outbox recorded it (in the transaction of the run or the sweep that caused it).
    public var recorded: Date

    public init(
        sequence: Int64, breachID: String, state: State, tenant: String, target: String, kind: Breach.Kind, opened: Date,
        resolved: Date?, detail: String, recorded: Date
    ) {
        self.sequence = sequence
        self.breachID = breachID
        self.state = state
        self.tenant = tenant
        self.target = target
        self.kind = kind
        self.opened = opened
        self.resolved = resolved
        self.detail = detail
        self.recorded = recorded
    }

    /// The stable id of a breach: SHA-256 over tenant, target, kind and its opening time (to the
    /// millisecond), 32 hex digits. Computed once, when the breach opens, and stored with it.
    public static func breachID(tenant: String, target: String, kind: Breach.Kind, opened: Date) -> String {
        var hasher = SHA256()
        let text = "\(tenant)\u{0}\(target)\u{0}\(kind.rawValue)\u{0}\(Int64((opened.timeIntervalSince1970 * 1000).rounded()))"
        Array(text.utf8).withUnsafeBytes { hasher.update($0) }
        return String(hasher.finalizeHex().prefix(32))
    }

    /// What the event says, in one line for logs and mail subjects.
    public var summary: String {
        "\(state == .opened ? "OPENED" : "RESOLVED") \(kind.rawValue) \(tenant)/\(target): \(detail)"
    }
}
