import Foundation

/// The restore point's time against the RPO: from its source (an archive's mtime, a snapshot's
/// time) or, for a target with a canary, from the restored canary's signed capture time.
extension OutcomeBuilder {
    /// The RPO rule (`RestorePointAge`): the restore point at `time` (named `path` in a finding) is
    /// its age old when the test starts, and met when that is at most the target's RPO; a time in the
    /// future beyond `clock_skew` is not met, with a finding that says so.
    @discardableResult
    func judgeRestorePoint(_ time: Date, path: String) -> RestorePointAge {
        let judged = RestorePointAge(of: time, at: started, allowance: target.clockSkew)
        outcome.backupTimestamp = time
        switch judged {
        case .age(let age):
            outcome.backupAgeSeconds = age
            outcome.rpoMet = age <= target.rpo.seconds
        case .future(let ahead):
            outcome.backupAgeSeconds = nil
            outcome.rpoMet = false
            outcome.findings.append(Finding(
                path: path, reason: .rpoExceeded, detail: RestorePointAge.futureDetail(time, ahead: ahead, allowance: target.clockSkew)))
        }
        if outcome.rpoMet == false { insert(.rpoExceeded) }
        return judged
    }

    /// The RPO judged on the restored canary's capture time: a missing, unreadable, forged or stale
    /// canary is `rpo_exceeded` (nothing proves the restore point is recent enough).
    func judge(_ canary: CanarySpec, restored: [UInt8]?, key: [UInt8]) {
        let modifiedAge = outcome.archiveModifiedTimestamp.map { max(0, started.timeIntervalSince($0)) }
        let verdict = restored.map { Canary.verify($0, key: key, target: target.name) } ?? .failure(.missing(canary.entry))
        switch verdict {
        case .success(let proof):
            guard case .age(let age) = judgeRestorePoint(proof.captured, path: canary.entry) else { return }
            note("restore point from the canary: captured \(TimeSpan.format(age)) before the test; the archive was modified \(modifiedAge.map(TimeSpan.format) ?? "?") before it")
            if outcome.rpoMet == false {
                record(Finding(
                    path: canary.entry, reason: .rpoExceeded,
                    detail: "canary stale: captured \(TimeSpan.format(age)) before the test, RPO \(TimeSpan.format(target.rpo.seconds))"))
            }
        case .failure(let problem):
            outcome.rpoMet = false
            record(Finding(path: canary.entry, reason: .rpoExceeded, detail: problem.description))
        }
    }
}
