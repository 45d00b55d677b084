import Foundation

/// The notification outbox, in the history database (README "Notifications").
///
/// An event is recorded in the same transaction as the run that caused it (`RunHistory.complete`
/// re-evaluates the run's target) or as the sweep that noticed time alone open one (`refresh`), and
/// is delivered after, per channel, until a receiver acknowledges it: a process killed between the
/// commit and the send loses nothing, and sends again at most what was in flight.
public protocol EventOutbox: Sendable {
    /// Re-evaluates the open breaches of `targets` at `now` (time alone opens `not_tested` and
    /// `rpo_breach`) and records the changes; breaches still open for a target not in `targets`
    /// (removed from the config) are resolved. Returns how many events it recorded.
    @discardableResult
    func refreshBreaches(_ targets: [WatchedTarget], now: Date) async throws -> Int
    /// Makes each channel known (it is sent the events recorded from now on), before anything it
    /// could be sent is recorded: `run` and `serve` call it at start.
    func registerChannels(_ names: [String]) async throws
    /// Events not yet delivered to `channel` and due at `now` (not waiting out a retry), oldest first;
    /// only events recorded since the channel was first seen (a new channel is not sent the past).
    func pendingEvents(channel: String, now: Date, limit: Int) async throws -> [PendingEvent]
    /// The receiver acknowledged the event (2xx, 250).
    func markDelivered(sequence: Int64, channel: String, at: Date) async throws
    /// A delivery failed: `error` is kept for `notify status`, and the next try waits until `retryAt`.
    func markFailed(sequence: Int64, channel: String, error: String, retryAt: Date) async throws
    /// Per channel: events waiting, the oldest one's time, and its last delivery error.
    func outboxBacklog(channels: [String]) async throws -> [String: ChannelBacklog]
    /// The breaches open now, as the outbox last recorded them.
    func openBreaches() async throws -> [BreachEvent]
}

/// A target as the outbox evaluates it: who it belongs to and its RPO.
public struct WatchedTarget: Sendable, Hashable {
    public var name: String
    public var tenant: String
    public var rpoSeconds: Double

    public init(name: String, tenant: String, rpoSeconds: Double) {
        self.name = name
        self.tenant = tenant
        self.rpoSeconds = rpoSeconds
    }

    public init(_ target: Target) {
        self.init(name: target.name, tenant: target.tenant, rpoSeconds: target.rpo.seconds)
    }
}

/// What waits for one channel (`notify status`).
public struct ChannelBacklog: Sendable, Hashable, Codable {
    public var waiting: Int
    public var oldest: Date?
    public var lastError: String?

    public init(waiting: Int, oldest: Date?, lastError: String?) {
        self.waiting = waiting
        self.oldest = oldest
        self.lastError = lastError
    }
}

/// An event waiting for one channel, with its failed tries so far.
public struct PendingEvent: Sendable {
    public var event: BreachEvent
    public var attempts: Int

    public init(event: BreachEvent, attempts: Int) {
        self.event = event
        self.attempts = attempts
    }
}
