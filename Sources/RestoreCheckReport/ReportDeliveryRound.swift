import Foundation
import RestoreCheckCore

/// One look at every `reports.deliver` entry: each whose scheduled time has come since its last
/// delivery (and is not waiting out a retry) is rendered and mailed, covering the period from its
/// previous scheduled time to this one. A daemon down across several scheduled times sends the
/// latest one on return, not each missed one.
public struct ReportDeliveryRound: Sendable {
    public let mailer: ReportMailer
    public let ledger: any ReportDeliveryLedger
    public let log: @Sendable (String) -> Void

    public init(mailer: ReportMailer, ledger: any ReportDeliveryLedger, log: @escaping @Sendable (String) -> Void) {
        self.mailer = mailer
        self.ledger = ledger
        self.log = log
    }

    /// Delivers what is due at `now`; returns what each delivery that was due came to, by name.
    @discardableResult
    public func run(now: Date) async -> [String: ReportMailer.Result] {
        var results: [String: ReportMailer.Result] = [:]
        for spec in mailer.config.deliveries {
            let due = spec.schedule.latest(atOrBefore: now)
            let state: ReportDeliveryState
            do {
                state = try await ledger.reportDeliveryState(name: spec.name, baseline: due)
            } catch {
                log("report delivery '\(spec.name)': cannot read its record: \(error)")
                continue
            }
            guard due > state.lastDue, (state.retryAt ?? .distantPast) <= now else { continue }
            let result = await mailer.deliver(spec, from: spec.schedule.previous(before: due), to: due)
            results[spec.name] = result
            do {
                switch result {
                case .sent(let files):
                    log("report delivery '\(spec.name)': sent (\(files.joined(separator: ", ")))")
                    try await ledger.markReportDelivered(name: spec.name, due: due)
                case .skipped(let why):
                    log("report delivery '\(spec.name)': nothing sent: \(why)")
                    try await ledger.markReportDelivered(name: spec.name, due: due)
                case .failed(let why):
                    let wait = min(3_600, 60 * pow(2, Double(min(state.attempts, 10))))
                    log("report delivery '\(spec.name)': failed (try \(state.attempts + 1)), retry in \(TimeSpan.format(wait)): \(why)")
                    try await ledger.markReportFailed(name: spec.name, error: why, retryAt: now.addingTimeInterval(wait))
                }
            } catch {
                log("report delivery '\(spec.name)': cannot record it: \(error)")
            }
        }
        return results
    }
}
