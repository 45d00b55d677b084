import Foundation
import Logging
import RestoreCheckCore
import ServiceLifecycle

/// Sends breach events from the outbox to the configured channels (README "Notifications"), and
/// notices breaches that time alone opens (`not_tested`, `rpo_breach`) between tests.
///
/// A poll of the outbox every few seconds rather than a wake-up from the scheduler: the outbox is
/// shared with `restorecheck run`, whose events this daemon sends too, and a poll is one indexed
/// query per channel.
struct NotificationService: Service {
    let context: DaemonContext
    /// How often the outbox is read.
    var deliverEvery: Duration = .seconds(5)
    /// How often every target's breaches are re-evaluated against the clock (each reads the
    /// target's history; a test's own events are recorded with it, at once).
    var refreshEvery: Duration = .seconds(300)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            let clock = ContinuousClock()
            var lastRefresh: ContinuousClock.Instant?
            var registered: [String]?
            while !Task.isCancelled {
                let config = context.config
                let channels = config.notify.map(\.name)
                do {
                    // Once per channel list (start-up, a reload that changed it), not every pass.
                    if registered != channels {
                        try await context.store.registerChannels(channels)
                        registered = channels
                    }
                    if lastRefresh.map({ clock.now - $0 >= refreshEvery }) ?? true {
                        let recorded = try await context.store.refreshBreaches(config.targets.map(WatchedTarget.init), now: context.now())
                        lastRefresh = clock.now
                        if recorded > 0 { context.logger.info("breach events recorded", metadata: ["count": "\(recorded)"]) }
                    }
                } catch {
                    context.logger.error("notify: cannot update the outbox: \(error)")
                }
                if !config.notify.isEmpty {
                    let logger = context.logger
                    let delivery = EventDelivery(outbox: context.store, channels: config.notify, smtp: config.smtp) { logger.warning("\($0)") }
                    let tally = await delivery.deliverDue(now: context.now)
                    if tally.sent > 0 { context.logger.info("notifications sent", metadata: ["count": "\(tally.sent)"]) }
                    if let backlog = try? await context.store.outboxBacklog(channels: channels) {
                        context.metrics.notificationsWaiting(backlog.values.reduce(0) { $0 + $1.waiting })
                    }
                }
                try? await Task.sleep(for: deliverEvery)
            }
        }
    }
}
