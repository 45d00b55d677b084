import Foundation

/// Sends what the outbox holds to each configured channel: in order per channel (a receiver never
/// gets a breach's `resolved` before its `opened`), at least once, retried with exponential backoff
/// (10 s, doubling, at most 5 minutes apart, so a receiver back after an hour's outage has every
/// event within minutes). `serve` runs passes continually; `run` runs one before it exits.
public struct EventDelivery: Sendable {
    public let outbox: any EventOutbox
    public let channels: [NotifyChannel]
    /// `smtp:`, for `email:` channels.
    public let smtp: SMTPSettings?
    /// Per request (a receiver that hangs costs at most this, then the event waits for a retry).
    public var timeoutSeconds = 10
    public var firstRetrySeconds = 10.0
    public var longestRetrySeconds = 300.0
    public let log: @Sendable (String) -> Void

    public init(outbox: any EventOutbox, channels: [NotifyChannel], smtp: SMTPSettings?, log: @escaping @Sendable (String) -> Void) {
        self.outbox = outbox
        self.channels = channels
        self.smtp = smtp
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
            if let email = channel.email, email.dailyDigest {
                await deliverDigest(pending, over: channel, to: email.to, now: now, tally: &tally)
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

    /// A digest: every waiting event the channel accepts in one mail, once the oldest has waited a day.
    private func deliverDigest(
        _ pending: [PendingEvent], over channel: NotifyChannel, to recipients: [String], now: @Sendable () -> Date, tally: inout Tally
    ) async {
        var wanted: [PendingEvent] = []
        for item in pending {
            if channel.accepts(item.event) {
                wanted.append(item)
            } else {
                tally.filtered += 1
                await mark { try await outbox.markDelivered(sequence: item.event.sequence, channel: channel.name, at: now()) }
            }
        }
        guard let oldest = wanted.first, now().timeIntervalSince(oldest.event.recorded) >= Self.digestPeriod else { return }
        let problem: String? =
            if let smtp { await smtp.send(EventMail.digest(wanted.map(\.event), to: recipients)) } else { "no smtp: section in the config" }
        if let problem {
            tally.failed += 1
            tally.waitingChannels.append(channel.name)
            let wait = retryDelay(afterAttempts: oldest.attempts + 1)
            log("notify \(channel.name): digest of \(wanted.count) event(s) not delivered (try \(oldest.attempts + 1)), retry in \(TimeSpan.format(wait)): \(problem)")
            await mark {
                try await outbox.markFailed(sequence: oldest.event.sequence, channel: channel.name, error: problem, retryAt: now().addingTimeInterval(wait))
            }
            return
        }
        tally.sent += wanted.count
        for item in wanted {
            await mark { try await outbox.markDelivered(sequence: item.event.sequence, channel: channel.name, at: now()) }
        }
    }

    /// `digest: daily`.
    public static let digestPeriod = 86_400.0

    private func send(_ event: BreachEvent, over channel: NotifyChannel) async -> String? {
        if let webhook = channel.webhook { return await WebhookSender.send(event, to: webhook, timeoutSeconds: timeoutSeconds) }
        if let email = channel.email {
            guard let smtp else { return "no smtp: section in the config" }
            return await smtp.send(EventMail.single(event, to: email.to))
        }
        return "the channel has no way to send"
    }

    /// A delivery's record failed: the event is sent again later (at least once, never lost).
    private func mark(_ write: () async throws -> Void) async {
        do { try await write() } catch { log("notify: cannot record a delivery in the outbox (it will be sent again): \(error)") }
    }
}
