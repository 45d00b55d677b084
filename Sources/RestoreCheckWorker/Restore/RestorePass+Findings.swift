import ArchiveKit
import Glibc
import RestoreCheckCore

/// Errors and limits as findings, progress, and the final report: settled members, hard-link
/// verdicts, and the manifest entries the archive lacks.
extension RestorePass {
    /// A libarchive error as a finding (the reason: `OutcomeReason(archiveError:otherwise:)`, with
    /// `archive_corrupt` for libarchive's verdict on the data itself).
    func finding(for error: ArchiveError, path: String, context: String? = nil) -> Finding {
        let detail = context.map { "\($0): \(error.message)" } ?? error.message
        let reason = OutcomeReason(archiveError: error, otherwise: .archiveCorrupt)
        guard reason == .limitExceeded else { return Finding(path: path, reason: reason, detail: detail) }
        return Finding(
            path: path, reason: reason, detail: "memory limit (limits.memory = \(ByteCount.format(request.limits.memoryBytes))) reached: \(detail)")
    }

    func limit(_ detail: String) -> RestoreWorker.Stop {
        RestoreWorker.Stop(finding: Finding(path: archiveName, reason: .limitExceeded, detail: detail))
    }

    func scratchStop(_ failure: ScratchWriter.Failure) -> RestoreWorker.Stop {
        if failure.isSizeLimit {
            return limit("file size limit reached: \(failure.message)")
        }
        return RestoreWorker.Stop(finding: Finding(path: request.scratchPath, reason: .scratchError, detail: failure.message))
    }

    mutating func add(_ finding: Finding) {
        if report.findings.count < RestoreWorker.maxFindings {
            report.findings.append(finding)
        } else {
            report.findingsOmitted += 1
        }
    }

    mutating func reportProgressIfDue() {
        let now = Clock.now
        guard Clock.seconds(from: lastProgress, to: now) >= request.progressInterval else { return }
        lastProgress = now
        progress(WorkerProgress(archiveBytesRead: archiveBytesRead, bytesRestored: report.bytesRestoredAll, entries: report.entries))
    }

    /// Turns the final sample and the manifest's unseen entries into the report.
    mutating func finish() {
        // Settling modes have settled every member by now; the evicting reservoir settles here.
        for member in book.drain() {
            settle(member.slot, bytes: member.bytes, finding: member.finding)
        }
        if report.fatal == nil { judgeHardLinks() }
        keeper?.finish(hardLinks: hardLinks, report: &report)
        report.rootStrippedNames = classifier.rootStripped
        (report.sinkSeconds, report.sinkBytes, report.sinkFit) = hasher?.measuredWork ?? sink.measuredWork
        calibrateFileCreation()
        // Entries the manifest promises but the archive lacks. Only meaningful after a full pass.
        if let requested = request.restoredTree?.requested {
            if report.fatal == nil { reportNotRestored(requested) }
        } else if manifest != nil, report.fatal == nil {
            reportMissing()
        }
        if let coverage, report.fatal == nil { report.coverage = coverage.report(result: { ledger.result($0) }) }
        if report.fatal == nil { validateRestored() }
        if report.fatal == nil, let source = request.liveSource { compareWithLiveSource(source) }
        report.findings.sort { $0.path < $1.path }
    }

    /// Runs the `validate:` checks on the restored files they match that verified (a file that failed
    /// or left the sample is not checked), one after another, with a progress report before each so
    /// the supervisor's stall watchdog sees a long check as alive.
    mutating func validateRestored() {
        let start = Clock.now
        defer { report.validationSeconds = Clock.seconds(since: start) }
        for (name, slot, index) in toValidate where ledger.result(slot).map({ if case .verified = $0 { true } else { false } }) == true {
            let text = String(decoding: name.bytes, as: UTF8.self)
            guard let check = request.validate[index].check else {
                // A command: the parent runs it, sandboxed, while scratch still exists.
                if Array(text.utf8) == name.bytes { report.commandCandidates.append(CommandCandidate(name: text, rule: index)) }
                continue
            }
            progress(WorkerProgress(archiveBytesRead: archiveBytesRead, bytesRestored: report.bytesRestoredAll, entries: report.entries))
            report.filesValidated += 1
            let path = request.scratchPath + "/" + text
            let alive = { [progress, archiveBytesRead, restored = report.bytesRestoredAll, entries = report.entries] in
                progress(WorkerProgress(archiveBytesRead: archiveBytesRead, bytesRestored: restored, entries: entries))
            }
            if let failure = validators.validate(check, path, context: ValidationContext(limits: request.limits, alive: alive)) {
                add(Finding(path: name.description, reason: failure.reason, detail: "\(check.rawValue): \(failure.detail)"))
            }
        }
    }

    /// Hard-link members that carry no data hold their group's data after a restore: judged now that
    /// every restored file has settled (see `HardLinkBook`).
    mutating func judgeHardLinks() {
        for (member, verdict) in hardLinks.judge(ledger, emptyDigest: .ofEmpty) {
            switch verdict {
            case .unjudged:
                continue
            case .verified(let bytes):
                settle(member.slot, bytes: bytes, finding: nil)
            case .mismatch(let actual, let detail):
                settle(member.slot, bytes: 0, finding: Finding(
                    path: member.name.description, reason: .checksumMismatch, detail: detail,
                    expectedSHA256: ledger.expectedDigest(member.slot)?.description, actualSHA256: actual?.description))
            }
        }
    }

    /// A sample a backup tool restored: the names it was asked for and did not restore. Manifest
    /// entries outside the sample were never asked for, so they are not missing.
    mutating func reportNotRestored(_ requested: [String]) {
        for text in requested {
            guard case .success(let name) = EntryName.validate(Array(text.utf8)), !ledger.hasSeen(NameKey(name)) else { continue }
            let expected = manifest?.slot(of: NameKey(name)).flatMap { ledger.expectedDigest(Int32($0)) }
            add(Finding(path: name.description, reason: .entryMissing,
                        detail: "drawn for the sample and asked of the backup tool, which did not restore it", expectedSHA256: expected?.description))
        }
    }

    /// The index knows which manifest slots were never seen, but keeps no names: read the manifest
    /// again to name them. Only runs when something is missing.
    mutating func reportMissing() {
        var unnamed = ledger.unseenListedCount
        guard unnamed > 0, let path = request.manifestPath, let manifest else { return }
        var named: [Finding] = []
        var namedCount = 0
        do {
            try Manifest.forEachEntry(inFile: path) { name, digest in
                guard let slot = manifest.slot(of: NameKey(name)), !ledger.isSeen(Int32(slot)) else { return true }
                if let keeper, !keeper.includes(name) {
                    // Outside `--include`: never asked for. Counted down so the tally below still closes.
                    ledger.markSeen(Int32(slot))
                    unnamed -= 1
                    return unnamed > namedCount
                }
                ledger.markSeen(Int32(slot))  // a name listed twice is reported once
                namedCount += 1
                if named.count < RestoreWorker.maxFindings {
                    named.append(Finding(path: name.description, reason: .entryMissing,
                                         detail: "listed in the manifest, absent from the archive", expectedSHA256: digest.description))
                }
                return namedCount < unnamed
            }
        } catch {
            // Fall through: the manifest vanished or changed since it was read; say so rather than guess.
        }
        for finding in named { add(finding) }
        report.findingsOmitted += namedCount - named.count
        unnamed -= namedCount
        if unnamed > 0 {
            add(Finding(path: path, reason: .entryMissing,
                        detail: "\(unnamed) entries listed in the manifest are absent from the archive; the manifest "
                            + "changed while it was being read, so they cannot be named"))
        }
    }
}
