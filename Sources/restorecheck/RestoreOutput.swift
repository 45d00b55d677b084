import Foundation
import RestoreCheckCore

/// What `restorecheck restore` prints: the restore points with their verdicts, the summary of a
/// restore (every name from the backup shown through `UntrustedText`), and its exit code.
enum RestoreOutput {
    static func points(_ points: [RestorePointVerdicts.Listed], json: Bool) -> String {
        if json {
            let rows = points.map { listed -> [String: String] in
                var row = ["point": listed.point.display, "time": iso(listed.point.time), "last_test": listed.lastTest?.rawValue ?? "never"]
                if let tested = listed.testedAt { row["tested_at"] = iso(tested) }
                if let bytes = listed.point.bytes { row["bytes"] = String(bytes) }
                return row
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            return String(decoding: (try? encoder.encode(["points": rows])) ?? Data(), as: UTF8.self)
        }
        var rows = [["POINT", "TAKEN", "SIZE", "LAST TEST"]]
        for listed in points {
            rows.append([
                UntrustedText.visible(listed.point.display), iso(listed.point.time), listed.point.bytes.map(ByteCount.format) ?? "-",
                listed.lastTest.map { "\($0.rawValue) \(listed.testedAt.map(iso) ?? "")" } ?? "never tested",
            ])
        }
        return OutcomeTable.align(rows).joined(separator: "\n")
    }

    static func summary(
        _ outcome: Outcome, tally: RestoreTally?, chosen: RestorePointVerdicts.Listed, directory: String, complete: Bool, json: Bool
    ) -> String {
        if json {
            struct Document: Encodable {
                var outcome: Outcome
                var restored: RestoreTally?
                var directory: String
                var pointLastTest: String
                var complete: Bool
                var exitCode: Int32
            }
            let document = Document(
                outcome: outcome, restored: tally, directory: directory, pointLastTest: chosen.lastTest?.rawValue ?? "never",
                complete: complete, exitCode: exitCode(outcome, complete: complete))
            return String(decoding: (try? Outcome.jsonEncoder().encode(document)) ?? Data(), as: UTF8.self)
        }
        var lines: [String] = []
        lines.append("restore point: \(UntrustedText.visible(outcome.archive ?? "?")), taken \(outcome.backupTimestamp.map(iso) ?? "?"); it \(chosen.summary)")
        if chosen.lastTest != .passed {
            lines.append("WARNING: this restore point was not verified by a passing test; every file is still checked below")
        }
        if let tally {
            lines.append(
                "restored into \(directory): \(tally.files) file(s), \(ByteCount.format(tally.bytes)), \(tally.directories) director(ies), "
                    + "\(tally.symlinks) symlink(s), \(tally.hardLinks) hard link(s) in \(outcome.restoreSeconds.map(TimeSpan.format) ?? "?")")
            if tally.outsideInclude > 0 { lines.append("\(tally.outsideInclude) file(s) outside --include not restored") }
            if tally.unverified > 0 { lines.append("\(tally.unverified) file(s) restored that the manifest does not list: not verified") }
            if tally.existingKept > 0 {
                lines.append("\(tally.existingKept) name(s) already existed and were kept, not overwritten: "
                    + tally.existingNames.map { UntrustedText.visible($0) }.joined(separator: ", "))
            }
            if tally.mismatchesKept > 0 {
                lines.append("\(tally.mismatchesKept) file(s) differ from the manifest: kept as NAME\(RestoreInto.mismatchSuffix), listed below")
            }
            if tally.xattrsApplied > 0 { lines.append("\(tally.xattrsApplied) extended attribute(s) applied") }
            if tally.xattrsSkipped > 0 {
                lines.append("\(tally.xattrsSkipped) extended attribute(s) not applied (--xattrs restores user.*, and the other namespaces only as root)")
            }
            if tally.aclsNotRestored > 0 { lines.append("\(tally.aclsNotRestored) entr(ies) carry ACLs, which restorecheck does not restore: set them again") }
            for problem in tally.metadataProblems { lines.append("not applied: \(UntrustedText.visible(problem))") }
        } else {
            lines.append("restored into \(directory) by the backup tool: \(outcome.filesVerified) of \(outcome.filesInArchive ?? 0) file(s) checked")
        }
        switch outcome.verification {
        case .manifest: lines.append("verified against the manifest: \(outcome.filesVerified) file(s), \(ByteCount.format(outcome.bytesRestored))")
        case .integrityOnly: lines.append("no manifest: checked for integrity only (sizes and the format's CRCs), content not compared")
        case .none: break
        }
        for finding in outcome.findings {
            lines.append("  \(finding.reason.rawValue): \(UntrustedText.visible(finding.path))\(finding.detail.map { ": " + UntrustedText.visible($0) } ?? "")")
        }
        if outcome.findingsOmitted > 0 { lines.append("  (+\(outcome.findingsOmitted) more findings)") }
        if outcome.rtoMet == false, let projected = outcome.projectedFullRestoreSeconds {
            lines.append("RTO exceeded: the full restore takes \(TimeSpan.format(projected)), RTO \(TimeSpan.format(outcome.rtoSeconds))")
        }
        lines.append("result: " + resultWord(outcome, complete: complete))
        return lines.joined(separator: "\n")
    }

    /// 0 complete and verified (an RTO breach is recorded, not a failed restore); 1 restored to the
    /// end with files that did not restore as listed, or could not take their names (each listed);
    /// 3 the restore stopped before the archive's end (the source failed, the disk filled, a limit).
    static func exitCode(_ outcome: Outcome, complete: Bool) -> Int32 {
        if !complete { return ExitStatus.error }
        return outcome.reasons.allSatisfy { $0 == .rtoExceeded } ? ExitStatus.passed : ExitStatus.failed
    }

    private static func resultWord(_ outcome: Outcome, complete: Bool) -> String {
        switch exitCode(outcome, complete: complete) {
        case ExitStatus.passed: outcome.verification == .manifest ? "COMPLETE and verified" : "COMPLETE (integrity only)"
        case ExitStatus.failed: "RESTORED WITH PROBLEMS (\(outcome.reasons.map(\.rawValue).joined(separator: ", ")))"
        default: "COULD NOT RESTORE, incomplete (\(UntrustedText.visible(outcome.summary)))"
        }
    }

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    /// `--before`: an ISO 8601 time with or without seconds (`2026-11-28T00:00Z`), or a date (UTC midnight).
    static func parseInstant(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        // Without seconds: add them before the zone.
        if let zone = text.range(of: "(Z|[+-][0-9]{2}:?[0-9]{2})$", options: .regularExpression),
            text[..<zone.lowerBound].filter({ $0 == ":" }).count == 1
        {
            return formatter.date(from: text[..<zone.lowerBound] + ":00" + text[zone])
        }
        formatter.formatOptions = [.withFullDate]
        return formatter.date(from: text)
    }
}

/// A self-overwriting progress line on stderr while restoring (terminals only): bytes, files, rate
/// and, from the last test's projection, the expected end.
struct RestoreProgress: Sendable {
    let enabled: Bool
    let expectedSeconds: Double?

    func show(_ progress: WorkerProgress, since start: Date) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(progress.bytesRestored) / elapsed : 0
        var text = "restored \(ByteCount.format(progress.bytesRestored)), \(progress.entries) entries, \(ByteCount.format(Int64(rate)))/s, \(TimeSpan.format(elapsed))"
        if let expectedSeconds { text += " (full restore projected at \(TimeSpan.format(expectedSeconds)))" }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }

    func clear() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
