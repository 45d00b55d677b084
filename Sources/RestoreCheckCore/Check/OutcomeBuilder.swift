import Foundation

/// One test's `Outcome` while it is being built, and the set of reasons its status will be derived
/// from. Every step of a test (the restore point's source, the RPO rule, the worker's report, the
/// tool's verdict, coverage, change detection, the canary) adds to the same builder; `finish` sorts
/// the reasons, derives the status (`Outcome.status(for:)`) and stamps the end.
///
/// A finding always brings its reason (`record`); a reason without a finding (a missing manifest, an
/// RTO breach) is `insert`ed. Fields with no rule of their own are set on `outcome` directly.
final class OutcomeBuilder {
    var outcome: Outcome
    private(set) var reasons: Set<OutcomeReason> = []
    let target: Target
    private let now: () -> Date

    init(target: Target, seed: UInt64, started: Date, now: @escaping () -> Date) {
        self.target = target
        self.now = now
        outcome = Outcome(
            target: target.name, tenant: target.tenant, status: .passed, reasons: [], summary: "",
            verification: .none, started: started, finished: started, sample: target.sample.summary, seed: seed,
            filesVerified: 0, bytesRestored: 0, rpoSeconds: target.rpo.seconds, rtoSeconds: target.rto.seconds,
            findings: [], findingsOmitted: 0, notes: [])
    }

    var started: Date { outcome.started }

    func note(_ text: String) { outcome.notes.append(text) }

    func insert(_ reason: OutcomeReason) { reasons.insert(reason) }

    /// Adds a finding and its reason; `first` puts it before the others (it explains them).
    func record(_ finding: Finding, first: Bool = false) {
        if first { outcome.findings.insert(finding, at: 0) } else { outcome.findings.append(finding) }
        reasons.insert(finding.reason)
    }

    /// What the test now knows of its restore point (before its time is judged).
    func located(_ point: RestorePoint) {
        outcome.archive = point.display
        outcome.archiveBytes = point.archiveBytes
        outcome.archiveModifiedTimestamp = point.archiveModified
    }

    /// A test that ends before the worker's report: the source's failure, or a step that could not run.
    func fail(_ failure: SourceFailure) -> Outcome {
        if let point = failure.point { located(point) }
        if let subject = failure.subject, outcome.archive == nil { outcome.archive = subject }
        // No restore point at all: nothing proves the RPO either.
        if failure.reason == .noArchive { outcome.rpoMet = false }
        if failure.recordsFinding {
            record(Finding(path: failure.subject ?? outcome.archive ?? "", reason: failure.reason, detail: failure.summary))
        } else {
            insert(failure.reason)
        }
        return finish(summary: failure.summary)
    }

    /// The outcome as recorded: sorted reasons, the status they imply, the summary and the end time.
    func finish(summary: String) -> Outcome {
        outcome.reasons = reasons.sorted()
        outcome.status = Outcome.status(for: outcome.reasons)
        outcome.summary = summary
        outcome.finished = now()
        return outcome
    }

    /// The one line for people: the fatal error, the first finding (and how many more), or how much
    /// was verified with any RPO or RTO breach.
    func summary(of report: WorkerReport) -> String {
        if let fatal = report.fatal { return "\(fatal.reason.rawValue): \(fatal.detail ?? fatal.path)" }
        if let first = outcome.findings.first {
            let more = outcome.findings.count + outcome.findingsOmitted - 1
            return "\(first.reason.rawValue): \(first.path)" + (more > 0 ? " (+\(more) more)" : "")
        }
        var text = "\(report.filesVerified) of \(report.regularFiles) files verified"
        text += outcome.verification == .manifest ? " against the manifest" : " (integrity only)"
        if reasons.contains(.rpoExceeded), let age = outcome.backupAgeSeconds {
            text += "; backup is \(TimeSpan.format(age)) old, RPO \(TimeSpan.format(outcome.rpoSeconds))"
        }
        if reasons.contains(.rtoExceeded), let projected = outcome.projectedFullRestoreSeconds {
            text += "; full restore projected at \(TimeSpan.format(projected)), RTO \(TimeSpan.format(outcome.rtoSeconds))"
        }
        return text
    }
}
