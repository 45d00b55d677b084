import Foundation
import Logging
import RestoreCheckCore
import RestoreCheckReport
import ServiceLifecycle

/// Mails scheduled reports (`reports.deliver`): a look every minute, so a delivery goes out within a
/// minute of its time; what was sent is in the history database, so a restart neither repeats nor
/// (within the latest scheduled time) misses one.
struct ReportDeliveryService: Service {
    let context: DaemonContext
    var lookEvery: Duration = .seconds(60)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let config = context.config
                if !config.deliveries.isEmpty {
                    do {
                        let key = try Ed25519Key.loadOrCreate(at: config.signingKeyPath)
                        let logger = context.logger
                        let round = ReportDeliveryRound(
                            mailer: ReportMailer(config: config, history: context.store, key: key), ledger: context.store,
                            log: { logger.notice("\($0)") })
                        await round.run(now: context.now())
                    } catch {
                        context.logger.error("report delivery: the signing key cannot be loaded: \(error)")
                    }
                }
                try? await Task.sleep(for: lookEvery)
            }
        }
    }
}
