import RestoreCheckCore

/// `compare_with_source` after the pass (see `LiveSourceComparison` for the rules).
extension RestorePass {
    /// Each restored file that verified (a file that failed is already a finding, and one that left
    /// the sample is gone from scratch) against its live copy; then, when the backup's start is
    /// known, the live tree against the names the archive holds.
    mutating func compareWithLiveSource(_ source: LiveSource) {
        let comparison = LiveSourceComparison(source: source, scratch: request.scratchPath)
        var summary = LiveComparison()
        var seen = Set<Int32>()
        // A duplicate name is restored again: its last copy is the one in scratch, compared once.
        for (name, slot, time) in toCompare.reversed() where seen.insert(slot).inserted {
            guard case .verified(let bytes) = ledger.result(slot) else { continue }
            switch comparison.compare(name, entryTime: time, size: bytes) {
            case .identical:
                summary.compared += 1
            case .differs(let offset):
                summary.compared += 1
                add(Finding(
                    path: name.description, reason: .checksumMismatch,
                    detail: "differs from the live file \(source.path)/\(name.description) at byte \(offset), though the live file is unchanged "
                        + "since the backup took it (same size and modification time)"))
            case .changed:
                summary.changed += 1
            case .gone:
                summary.gone += 1
            case .unreadable(let why):
                add(Finding(path: name.description, reason: .scratchError, detail: "cannot read the restored file back to compare it: \(why)"))
            }
        }
        if let started = request.backupStarted {
            summary.walked = true
            summary.walkedFiles = comparison.walk(olderThan: started) { name in
                guard !ledger.hasSeen(NameKey(name)) else { return }
                add(Finding(
                    path: name.description, reason: .entryMissing,
                    detail: "in the live source since before the backup started, absent from the backup (exclude it under compare_with_source if the backup leaves it out on purpose)"))
            }
        }
        report.liveComparison = summary
    }
}
