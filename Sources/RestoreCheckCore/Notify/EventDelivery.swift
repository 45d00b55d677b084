import Foundation

/// Sends what the outbox holds to each configured channel: in order per channel (a receiver never
/// gets a breach's `resolved` before its `opened`), at least once, retried with exponential backoff
/// (10 s, doubling, at most 5 minutes apart, so a receiver back after an hour's outage has every
/// event within minutes). `serve` runs passes continually; `run` runs one before it exits.
public struct EventDelivery: Sendable {
    public let outbox: any EventOutbox
    public let channels: [NotifyChannel]
    /// Per request (a receiver that hangs costs at most this, then the event waits for a retry).
    public var timeoutSeconds = 10
    public var firstRetrySeconds = 10.0
    public var longestRetrySeconds = 300.0
    public let log: @Sendable (String) -> Void

    public init(outbox: any EventOutbox, channels: [NotifyChannel], log: @escaping @Sendable (String) -> Void) {
        self.outbox = outbox
        self.channels = channels
        self.log = log
    }

    /// What one pass did.
    public struct Tally: Sendable, Equatable {
        public var sent = 0
        /// Left out by a channel's filters (recorded as done for that channel).
        public var filtered = 0
        public var failed = 0
        /// Channels whose next event waits for a retry (or failed in this pass).
        public var waitingChannels: [String] = []
    }

    /// One pass over every channel's due events, stopping a channel at its first failure.
    /// `ignoringBackoff`: `run` tries every waiting event once, whenever its timer starts it.
    public func deliverDue(ignoringBackoff: Bool = false, now: @Sendable () -> Date = Date.init) async -> Tally {
        var tally = Tally()
        for channel in channels {
            let pending: [PendingEvent]
            do {
                pending = try await outbox.pendingEvents(channel: channel.name, now: ignoringBackoff ? .distantFuture : now(), limit: 500)
            } catch {
                log("notify \(channel.name): cannot read the outbox: \(error)")
                tally.waitingChannels.append(channel.name)
                continue
            }
            for item in pending {
                guard channel.accepts(item.event) else {
                    tally.filtered += 1
                    await mark { try await outbox.markDelivered(sequence: item.event.sequence, channel: channel.name, at: now()) }
                    continue
                }
                if let problem = await send(item.event, over: channel) {
                    tally.failed += 1
                    tally.waitingChannels.append(channel.name)
                    let wait = retryDelay(afterAttempts: item.attempts + 1)
                    log("notify \(channel.name): \(item.event.kind.rawValue) \(item.event.state.rawValue) of \(item.event.tenant)/\(item.event.target) not delivered (try \(item.attempts + 1)), retry in \(TimeSpan.format(wait)): \(problem)")
                    await mark {
                        try await outbox.markFailed(
                            sequence: item.event.sequence, channel: channel.name, error: problem, retryAt: now().addingTimeInterval(wait))
                    }
                    break
                }
                tally.sent += 1
                await mark { try await outbox.markDelivered(sequence: item.event.sequence, channel: channel.name, at: now()) }
            }
        }
        return tally
    }

    /// 10 s, 20 s, 40 s... at most `longestRetrySeconds`.
    public func retryDelay(afterAttempts attempts: Int) -> Double {
        min(longestRetrySeconds, firstRetrySeconds * pow(2, Double(max(0, min(attempts - 1, 30)))))
    }

    private func send(_ event: BreachEvent, over channel: NotifyChannel) async -> String? {
        if let webhook = channel.webhook { return await WebhookSender.send(event, to: webhook, timeoutSeconds: timeoutSeconds) }
        return "the channel has no way to send (no webhook)"
    }

    /// A delivery's record failed: the event is sent again later (at least once, never lost).
    private func mark(_ write: () async throws -> Void) async {
        do { try await write() } catch { log("notify: cannot record a delivery in the outbox (it will be sent again): \(error)") }
    }
}
