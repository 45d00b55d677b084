import Foundation

/// What the restore worker's report (with the validation commands' results joined in) says about
/// the restored sample: how it was verified, the counts, findings and notes, and the RTO.
extension OutcomeBuilder {
    /// `projected`: the full restore's time for the RTO, from the restore point's source; nil when it
    /// cannot be told. `integrityMeaning`: what the source's reader checked without a manifest.
    func apply(_ report: WorkerReport, projected: Double?, integrityMeaning: String) {
        outcome.archiveFormat = ([report.format] + report.filters).filter { !$0.isEmpty }.joined(separator: " + ")
        outcome.verification = report.filesRestoredAll == 0 ? .none : (report.verifiedAgainstManifest ? .manifest : .integrityOnly)
        if report.verifiedAgainstManifest == false, outcome.verification != .none, !reasons.contains(.manifestMissing), report.manifestError == nil {
            note("integrity only: no manifest configured; \(integrityMeaning), but content was not compared with checksums")
        }
        if let manifestError = report.manifestError {
            insert(.manifestInvalid)
            note("manifest unusable (\(manifestError)): verified for integrity only")
        }
        outcome.manifestSha256 = report.manifestSHA256
        outcome.filesVerified = report.filesVerified
        outcome.bytesRestored = report.bytesVerified
        outcome.filesInArchive = report.regularFiles
        outcome.bytesInArchive = report.totalFileBytes
        // After any finding made before the restore (a restore point dated in the future).
        outcome.findings += report.findings
        outcome.findingsOmitted = report.findingsOmitted
        if !target.validate.isEmpty, report.fatal == nil {
            outcome.filesValidated = report.filesValidated
            outcome.validationSeconds = report.validationSeconds
            note(report.filesValidated == 0
                ? "validate: no restored file matched a rule (include: restores the files a check needs in every test)"
                : "validate: \(report.filesValidated) file(s) checked in \(TimeSpan.format(report.validationSeconds))")
        }
        if let live = report.liveComparison { note(live.summary) }
        if target.contentChecks == .warn { noteSuspiciousContent() }
        for finding in outcome.findings { insert(finding.reason) }
        if let fatal = report.fatal { record(fatal, first: true) }
        noteEntriesNotRestoredAsFiles(report)
        if let projected {
            outcome.projectedFullRestoreSeconds = projected
            outcome.rtoMet = projected <= target.rto.seconds
            if outcome.rtoMet == false { insert(.rtoExceeded) }
        }
    }

    /// Duplicates, files outside the manifest, stripped roots, links and special files: observed,
    /// handled as a restore would, and never failures.
    private func noteEntriesNotRestoredAsFiles(_ report: WorkerReport) {
        if !report.duplicateNames.isEmpty {
            note("\(report.duplicateNames.count) duplicate entry name(s), last copy verified as a restore would keep it: \(report.duplicateNames.prefix(5).joined(separator: ", "))")
        }
        if report.filesNotInManifest > 0 {
            note("\(report.filesNotInManifest) file(s) in the archive are not in the manifest and were not sampled")
        }
        if report.rootStrippedNames > 0 {
            note("\(report.rootStrippedNames) entry name(s) began with '/': restored below scratch with it stripped, as GNU tar and unzip do")
        }
        if report.linksRecorded > 0 || report.specialEntriesSkipped > 0 {
            note("\(report.linksRecorded) link(s) and \(report.specialEntriesSkipped) special file(s) recorded, not created")
        }
    }

    /// `content_checks: warn`: `suspicious_content` findings become notes (the first 20, then a
    /// count), so they are recorded but do not judge the test.
    private func noteSuspiciousContent() {
        let recorded = outcome.findings.filter { $0.reason == .suspiciousContent }
        outcome.findings.removeAll { $0.reason == .suspiciousContent }
        for finding in recorded.prefix(20) {
            note("suspicious content (content_checks: warn): \(finding.path): \(finding.detail ?? "")")
        }
        if recorded.count > 20 { note("\(recorded.count - 20) more suspicious file(s) (content_checks: warn)") }
    }
}
