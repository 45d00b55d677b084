import Foundation

/// One entry of `notify:`: where breach events go, and which of them.
public struct NotifyChannel: Sendable, Hashable {
    /// Its name: the outbox tracks delivery per channel name (renaming a channel makes it new).
    public var name: String
    public var webhook: Webhook?
    public var email: Email?
    /// `events:` (default: both).
    public var states: Set<BreachEvent.State> = Set(BreachEvent.State.allCases)
    /// `tenants:` (default: nil, every tenant).
    public var tenants: [String]?
    /// `kinds:` (default: nil, every kind of breach).
    public var kinds: [Breach.Kind]?

    /// `webhook:`: a URL that receives each event as a signed CloudEvent.
    public struct Webhook: Sendable, Hashable {
        public var url: String
        /// The HMAC-SHA-256 key's file (`secret_file`): read at each delivery, never logged.
        public var secretFile: String
        /// A private CA's bundle for an `https` receiver (`ca_file`).
        public var caFile: String?

        public init(url: String, secretFile: String, caFile: String? = nil) {
            self.url = url
            self.secretFile = secretFile
            self.caFile = caFile
        }
    }

    /// `email:`: recipients, one mail per event or a daily digest, through `smtp:`.
    public struct Email: Sendable, Hashable {
        public var to: [String]
        /// `digest: daily`: one mail with every waiting event, sent when the oldest has waited a
        /// day (so at most one mail a day, and no event waits longer).
        public var dailyDigest = false

        public init(to: [String], dailyDigest: Bool = false) {
            self.to = to
            self.dailyDigest = dailyDigest
        }
    }

    public init(name: String, webhook: Webhook?, email: Email? = nil) {
        self.name = name
        self.webhook = webhook
        self.email = email
    }

    /// Whether this channel wants `event` (its filters).
    public func accepts(_ event: BreachEvent) -> Bool {
        states.contains(event.state) && (tenants?.contains(event.tenant) ?? true) && (kinds?.contains(event.kind) ?? true)
    }

    /// The receiver's URL with any user name and password replaced, for logs and messages.
    public static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return "(unparsable URL)" }
        if parts.user != nil || parts.password != nil {
            parts.user = "REDACTED"
            parts.password = nil
        }
        // A token in the query is a credential as often as a password is.
        if parts.query != nil { parts.query = "REDACTED" }
        return parts.string ?? "(unprintable URL)"
    }
}
