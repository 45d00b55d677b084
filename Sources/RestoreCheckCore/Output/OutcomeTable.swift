import Foundation

/// Renders outcomes as the table an operator reads at 3 a.m.: one row per target, then the findings
/// and notes of the targets that need attention, then a one-line total.
///
/// Every cell and detail line goes through `UntrustedText.visible`: names, details and notes come
/// from the backup, and a terminal must never receive them as controls.
public enum OutcomeTable {
    public static func render(_ summary: RunSummary, now: Date = Date()) -> String {
        let header = ["TENANT", "TARGET", "STATUS", "BACKUP AGE", "RPO", "RESTORE", "FULL (PROJ.)", "RTO", "FILES", "BYTES", "REASONS"]
        var rows = [header]
        for outcome in summary.results {
            rows.append([
                outcome.tenant,
                outcome.target,
                outcome.status.rawValue.uppercased(),
                outcome.backupAgeSeconds.map(TimeSpan.format) ?? "-",
                TimeSpan.format(outcome.rpoSeconds),
                outcome.restoreSeconds.map(TimeSpan.format) ?? "-",
                outcome.projectedFullRestoreSeconds.map(TimeSpan.format) ?? "-",
                TimeSpan.format(outcome.rtoSeconds),
                outcome.filesInArchive.map { "\(outcome.filesVerified)/\($0)" } ?? "\(outcome.filesVerified)",
                ByteCount.format(outcome.bytesRestored),
                outcome.reasons.isEmpty ? "-" : outcome.reasons.map(\.rawValue).joined(separator: ","),
            ])
        }
        var lines = align(rows)
        for outcome in summary.results {
            let detailLines = details(outcome)
            guard !detailLines.isEmpty else { continue }
            lines.append("")
            lines.append(UntrustedText.visible("\(outcome.tenant)/\(outcome.target): \(outcome.summary)", limit: UntrustedText.detailLimit))
            lines.append(contentsOf: detailLines.map { "  " + UntrustedText.visible($0, limit: UntrustedText.detailLimit) })
        }
        lines.append("")
        lines.append("\(summary.results.count) target(s): \(summary.passed) passed, \(summary.failed) failed, \(summary.errors) error")
        return lines.joined(separator: "\n") + "\n"
    }

    static func details(_ outcome: Outcome) -> [String] {
        var lines: [String] = []
        if outcome.status != .passed, let archive = outcome.archive { lines.append("archive: \(archive)") }
        for finding in outcome.findings.prefix(20) {
            var line = "✗ \(finding.reason.rawValue): \(finding.path)"
            if let detail = finding.detail { line += " — \(detail)" }
            if let expected = finding.expectedSHA256, let actual = finding.actualSHA256 {
                line += " (expected \(expected.prefix(16))…, got \(actual.prefix(16))…)"
            }
            lines.append(line)
        }
        let more = outcome.findings.count - min(outcome.findings.count, 20) + outcome.findingsOmitted
        if more > 0 { lines.append("… and \(more) more finding(s); --json lists them") }
        lines.append(contentsOf: outcome.notes.map { "note: \($0)" })
        return lines
    }

    /// Left-aligns columns (the last column is not padded); every cell is shown with its controls
    /// made visible.
    public static func align(_ rows: [[String]]) -> [String] {
        guard let columns = rows.first?.count else { return [] }
        let rows = rows.map { $0.map { UntrustedText.visible($0, limit: UntrustedText.detailLimit) } }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == columns - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }
}
