import Foundation
@testable import RestoreCheckCore

extension Outcome {
    /// An outcome for tests that need one without running a test: the fields every test sets are
    /// parameters, the rest have neutral defaults a test overrides on the returned value. One home,
    /// so a field added to `Outcome` changes one place in the tests.
    ///
    /// `reasons` defaults to none for `passed` and `checksum_mismatch` otherwise.
    public static func fixture(
        target: String = "fs", tenant: String = "acme", status: OutcomeStatus = .passed, reasons: [OutcomeReason]? = nil,
        backup: Date? = nil, started: Date = Date(timeIntervalSince1970: 1_700_000_000), finished: Date? = nil,
        findings: [Finding] = []
    ) -> Outcome {
        Outcome(
            target: target, tenant: tenant, status: status, reasons: reasons ?? (status == .passed ? [] : [.checksumMismatch]),
            summary: "", verification: .manifest, backupTimestamp: backup, started: started, finished: finished ?? started,
            sample: "", seed: 0, filesVerified: 0, bytesRestored: 0, rpoSeconds: 86_400, rtoSeconds: 3_600,
            findings: findings, findingsOmitted: 0, notes: [])
    }
}
