import Foundation

/// The parent's side of change detection for one test: summarises the tested restore point's
/// manifest, compares it with the previous point's summary, turns hits into `suspicious_change`
/// findings (or notes, under `change_checks: warn`), and keeps the new summary for the next test.
///
/// Runs in the parent, streaming the manifest (8 bytes kept per file, then freed); it reads no
/// archive data. The same restore point tested again (same manifest bytes) is not compared.
struct ChangeTracking {
    let target: Target
    let statePath: String

    init?(target: Target) {
        guard target.changeChecks != .off, let statePath = target.changeSummaryPath else { return nil }
        self.target = target
        self.statePath = statePath
    }

    func compare(manifest: String, report: WorkerReport, into outcome: OutcomeBuilder) {
        var previous: ChangeSummary?
        do { previous = try ChangeSummary.load(statePath) } catch {
            outcome.note("\(error): starting a new baseline")
        }
        var current: ChangeSummary
        do {
            current = try ChangeSummary.of(manifest: manifest, bytes: report.totalFileBytes, key: previous?.key ?? SHA256.randomBytes(16))
        } catch {
            outcome.note("changes not compared: \(error)")
            return
        }
        current.changedHistory = previous?.changedHistory ?? []
        current.seenExtensions.formUnion(previous?.seenExtensions ?? [])
        if let previous {
            guard previous.manifestSHA256 != current.manifestSHA256 else { return }  // the same point again
            let comparison = ChangeComparison.compare(previous, current, target.changeThresholds)
            outcome.note(comparison.description)
            for hit in comparison.hits {
                if target.changeChecks == .warn {
                    outcome.note("suspicious change (change_checks: warn): \(hit)")
                } else {
                    outcome.record(Finding(path: manifest, reason: .suspiciousChange, detail: hit))
                }
            }
            // An attack's churn must not become the target's normal.
            if !comparison.changedShareHit { current.changedHistory.append(comparison.changedShare) }
        }
        do { try current.write(to: statePath) } catch {
            outcome.note("change summary not kept: \(error)")
        }
    }
}
