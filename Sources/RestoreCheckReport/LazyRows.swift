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
    let language: ReportLanguage

    func child(named name: String) -> Any? {
        switch name {
        case "run_id": Text(String(run.runId))
        case "test": Text("#\(run.runId) \(run.target)")
        case "target": Text(run.target)
        case "finished": Text(language.time(run.finished))
        case "started": Text(language.time(run.started))
        case "status": Text(run.status.rawValue)
        case "status_label": Text(language.result(run.status))
        case "has_details": !run.reasons.isEmpty || !run.findings.isEmpty
        case "reasons": Text(run.reasons.joined(separator: ", "))
        case "has_reasons": !run.reasons.isEmpty
        case "archive": Text(run.archive ?? "—")
        case "archive_code": Text(run.archive.map(UntrustedText.markdownCode) ?? "—")
        case "archive_bytes": Text(language.bytes(run.archiveBytes))
        case "backup_time": Text(run.backupTimestamp.map(language.time) ?? "—")
        case "restore_point":
            Text(language.text("restore_point_line", ["bytes": language.bytes(run.archiveBytes), "time": run.backupTimestamp.map(language.time) ?? "—"]))
        case "manifest_sha256": Text(run.manifestSha256 ?? language.text("manifest_none"))
        case "sample": Text(run.sample ?? "—")
        case "seed": Text(run.seed ?? "—")
        case "sample_line": Text(language.text("sample_line", ["sample": run.sample ?? "—", "seed": run.seed ?? "—"]))
        case "files_verified": Text(String(run.filesVerified))
        case "bytes_verified": Text(language.bytes(run.bytesVerified))
        case "restore_time": Text(language.duration(run.restoreSeconds))
        case "projected": Text(language.duration(run.projectedFullRestoreSeconds))
        case "measured":
            Text(language.text("measured_line", [
                "files": String(run.filesVerified), "bytes": language.bytes(run.bytesVerified), "time": language.duration(run.restoreSeconds),
                "projected": language.duration(run.projectedFullRestoreSeconds),
            ]) + (run.sourceRead.map(sourceRead) ?? ""))
        case "findings":
            run.findings.map { ["path": $0.path, "path_code": UntrustedText.markdownCode($0.path), "reason": $0.reason.rawValue, "detail": $0.detail ?? "", "has_detail": $0.detail != nil] }
        case "findings_omitted": Text(String(run.findingsOmitted))
        case "more_findings": Text(language.text("more_findings", ["count": String(run.findingsOmitted)]))
        case "has_more_findings": run.findingsOmitted > 0
        case "entry_hash": Text(run.entryHash ?? "—")
        default: nil
        }
    }

    /// "; read 14.4 MiB of 797.0 MiB from object storage (1.8 %)": what an `s3:` test fetched.
    private func sourceRead(_ read: SourceRead) -> String {
        let share = read.objectBytes > 0 ? " (" + language.decimal(String(format: "%.1f", 100 * Double(read.bytesFetched) / Double(read.objectBytes))) + " %)" : ""
        return language.text("source_read", ["fetched": language.bytes(read.bytesFetched), "object": language.bytes(read.objectBytes), "share": share])
    }
}
