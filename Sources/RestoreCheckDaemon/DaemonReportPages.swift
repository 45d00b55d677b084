import Foundation
import RestoreCheckCore
import RestoreCheckMetrics
import RestoreCheckReport

/// The reports `serve` publishes, built on request from the history and the current config (a reload
/// that adds a tenant or turns `report.serve` off takes effect at the next request).
struct DaemonReportPages: ReportPages {
    let context: DaemonContext
    /// Set when the endpoint listens beyond loopback without basic auth: reports are then never
    /// served, even if a reload turns `report.serve` on (start-up refuses that config outright).
    let exposedAt: ListenAddress?
    /// Reports render here: one at a time, at the lowest CPU priority (see `BackgroundWorker`).
    let renderer = BackgroundWorker(name: "restorecheck reports")

    func tenants() -> [String]? {
        let config = context.config
        guard config.report.serve else { return nil }
        if let exposedAt {
            context.logger.warning("report.serve is on, but \(exposedAt) has no basic auth: reports are not served")
            return nil
        }
        return config.tenants
    }

    func report(tenant: String, period: String?) async throws -> [String] {
        let config = context.config
        var span = config.report.period
        if let period {
            guard let parsed = TimeSpan(parsing: period), parsed.seconds > 0, parsed.seconds <= 3660 * 86_400 else {
                throw ReportPageError("since=\(period) is not a duration of at most ten years (use forms like 30d, 90d)")
            }
            span = parsed
        }
        let (store, now, period) = (context.store, context.now(), span)
        return try await renderer.run {
            let report = try ReportBuilder(history: store).build(config: config, tenant: tenant, period: period, now: now)
            // One core: the other stays free for /metrics and the scheduler while a report renders.
            return try ReportRenderer(settings: config.report, parallel: false).render(report, as: .html).pieces
        }
    }

    func index(tenants: [String]) -> String {
        let config = context.config
        return (try? ReportRenderer(settings: config.report))?.renderIndex(tenants: tenants, company: config.report.company)
            ?? ReportRenderer.fallbackIndex(tenants: tenants)
    }
}
