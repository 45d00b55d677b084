import RestoreCheckCore
import Mustache

/// A list a template iterates whose rows are made as the template reaches them, and not kept: a
/// 20,000-test report built 20,000 dictionaries up front (~50 MiB), where these cost one row at a time.
struct LazyRows<Element, Row>: MustacheSequence {
    let elements: [Element]
    let row: (Element) -> Row

    func makeIterator() -> LazyMapSequence<[Element], Row>.Iterator {
        elements.lazy.map(row).makeIterator()
    }
}

/// A value a template prints as it is (escaped by the template's content type). Rendered through
/// `MustacheCustomRenderable` it skips the library's optional-unwrapping and `String(describing:)`
/// on `Any`, measurably cheaper per variable on a 20,000-row table.
struct Text: MustacheCustomRenderable {
    let renderText: String
    var isNull: Bool { false }
    init(_ text: String) { renderText = text }
}

/// One evidence line as templates see it: values are formatted when a template asks for them, by a
/// switch rather than a dictionary built for every test.
struct EvidenceRowView: MustacheParent {
    let run: EvidenceRun

    func child(named name: String) -> Any? {
        switch name {
        case "run_id": Text(String(run.runId))
        case "test": Text("#\(run.runId) \(run.target)")
        case "target": Text(run.target)
        case "finished": Text(ReportFormat.time(run.finished))
        case "started": Text(ReportFormat.time(run.started))
        case "status": Text(run.status.rawValue)
        case "has_details": !run.reasons.isEmpty || !run.findings.isEmpty
        case "reasons": Text(run.reasons.joined(separator: ", "))
        case "has_reasons": !run.reasons.isEmpty
        case "archive": Text(run.archive ?? "—")
        case "archive_code": Text(run.archive.map(UntrustedText.markdownCode) ?? "—")
        case "archive_bytes": Text(ReportFormat.bytes(run.archiveBytes))
        case "backup_time": Text(run.backupTimestamp.map(ReportFormat.time) ?? "—")
        case "restore_point":
            Text("\(ReportFormat.bytes(run.archiveBytes)), restore point of \(run.backupTimestamp.map(ReportFormat.time) ?? "—")")
        case "manifest_sha256": Text(run.manifestSha256 ?? "none (integrity only)")
        case "sample": Text(run.sample ?? "—")
        case "seed": Text(run.seed ?? "—")
        case "sample_line": Text("\(run.sample ?? "—"), seed \(run.seed ?? "—")")
        case "files_verified": Text(String(run.filesVerified))
        case "bytes_verified": Text(ReportFormat.bytes(run.bytesVerified))
        case "restore_time": Text(ReportFormat.duration(run.restoreSeconds))
        case "projected": Text(ReportFormat.duration(run.projectedFullRestoreSeconds))
        case "measured":
            Text("\(run.filesVerified) files, \(ReportFormat.bytes(run.bytesVerified)) in \(ReportFormat.duration(run.restoreSeconds)); full restore projected \(ReportFormat.duration(run.projectedFullRestoreSeconds))"
                + (run.sourceRead.map(ReportFormat.sourceRead) ?? ""))
        case "findings":
            run.findings.map { ["path": $0.path, "path_code": UntrustedText.markdownCode($0.path), "reason": $0.reason.rawValue, "detail": $0.detail ?? "", "has_detail": $0.detail != nil] }
        case "findings_omitted": Text(String(run.findingsOmitted))
        case "has_more_findings": run.findingsOmitted > 0
        case "entry_hash": Text(run.entryHash ?? "—")
        default: nil
        }
    }
}
