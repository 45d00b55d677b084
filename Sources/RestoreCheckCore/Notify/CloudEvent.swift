import Foundation

/// A `BreachEvent` in the CloudEvents 1.0 structured JSON format, the body every webhook receives
/// (`Content-Type: application/cloudevents+json`). README "Notifications" documents it as a contract.
public struct CloudEvent: Encodable, Sendable {
    public let specversion = "1.0"
    /// Unique per delivery of a change: the breach's id and its state (an `opened` and its
    /// `resolved` are two events of one breach).
    public let id: String
    public let source: String
    public let type: String
    public let subject: String
    public let time: String
    public let datacontenttype = "application/json"
    public let data: Payload

    /// `data`: the breach.
    public struct Payload: Encodable, Sendable {
        public let breach_id: String
        public let state: String
        public let tenant: String
        public let target: String
        public let kind: String
        public let opened_at: String
        public let resolved_at: String?
        public let detail: String
    }

    public init(_ event: BreachEvent) {
        id = "\(event.breachID)-\(event.state.rawValue)"
        source = "restorecheck/tenants/\(Self.segment(event.tenant))"
        type = "org.restorecheck.breach.\(event.state.rawValue)"
        subject = event.target
        time = Self.timestamp(event.resolved ?? event.opened)
        data = Payload(
            breach_id: event.breachID, state: event.state.rawValue, tenant: event.tenant, target: event.target,
            kind: event.kind.rawValue, opened_at: Self.timestamp(event.opened), resolved_at: event.resolved.map(Self.timestamp),
            detail: event.detail)
    }

    /// The body as sent: sorted keys, so the bytes (and their signature) are the same on every retry.
    public func body() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of strings cannot fail.
        return Array((try? encoder.encode(self)) ?? Data())
    }

    /// RFC 3339 in UTC, milliseconds.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// A tenant name as a URI path segment.
    private static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }
}
