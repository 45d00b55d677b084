import Foundation

/// The one home for reading the history's stored values back into types, whichever database holds
/// them: a run's status and reasons, a finding, a run record. A value this version does not know
/// (written by a newer restorecheck sharing the history, or edited by hand) is an error that names
/// the run and the value; it is never read as some other value (an unknown reason as
/// `archive_corrupt` would forge a verdict).
public enum StoredValues {
    /// A stored value this restorecheck cannot read.
    public struct Unreadable: Error, CustomStringConvertible {
        public var runID: Int64
        public var column: String
        public var value: String

        public var description: String {
            "history: run \(runID) has \(column) '\(value)', which this restorecheck does not know "
                + "(written by a newer version? upgrade this host)"
        }
    }

    /// A column that must hold a value is empty (a damaged or hand-edited history).
    public struct Missing: Error, CustomStringConvertible {
        public var table: String
        public var column: String

        public var description: String { "history: a \(table) row has no \(column)" }
    }

    /// The columns `recordedRun` reads.
    public static let recordedRunColumns = """
        id, target, tenant, status, reasons, started, finished, archive, archive_bytes, backup_timestamp,
          manifest_sha256, sample, seed, files_verified, bytes_restored, restore_seconds,
          projected_full_restore_seconds, rpo_seconds, rto_seconds, rto_met, findings_count, entry_hash
        """

    public static func status(_ row: StoredRow) throws -> RunStatus {
        let text = try row.required("status", row.text, in: "run")
        guard let status = RunStatus(rawValue: text) else {
            throw Unreadable(runID: row.integer("id") ?? 0, column: "status", value: text)
        }
        return status
    }

    /// A run's reasons as recorded (comma-separated in one column), in their recorded order.
    public static func reasons(_ row: StoredRow) -> [String] {
        let text = row.text("reasons") ?? ""
        return text.isEmpty ? [] : text.split(separator: ",").map(String.init)
    }

    /// A `finding` row.
    public static func finding(_ row: StoredRow) throws -> Finding {
        let reasonText = try row.required("reason", row.text, in: "finding")
        guard let reason = OutcomeReason(rawValue: reasonText) else {
            throw Unreadable(runID: row.integer("run_id") ?? 0, column: "a finding with reason", value: reasonText)
        }
        return Finding(
            path: try row.required("path", row.text, in: "finding"), reason: reason, detail: row.text("detail"),
            expectedSHA256: row.text("expected_sha256"), actualSHA256: row.text("actual_sha256"))
    }

    /// A stored outcome document; nil when this version cannot decode it (the row's own columns
    /// still say how the run ended).
    public static func outcome(_ json: String?) -> Outcome? {
        json.flatMap { try? Outcome.jsonDecoder().decode(Outcome.self, from: Data($0.utf8)) }
    }

    /// A `run` row, with its outcome document decoded.
    public static func runRecord(_ row: StoredRow) throws -> RunRecord {
        RunRecord(
            id: try row.required("id", row.integer, in: "run"), target: try row.required("target", row.text, in: "run"),
            tenant: try row.required("tenant", row.text, in: "run"), status: try status(row), reasons: reasons(row),
            origin: try row.required("origin", row.text, in: "run"), started: try row.required("started", row.date, in: "run"),
            finished: row.date("finished"), backupTimestamp: row.date("backup_timestamp"), outcome: outcome(row.text("outcome_json")))
    }

    /// A finished run's row (`recordedRunColumns`) as reports and the breach ledger read it.
    public static func recordedRun(_ row: StoredRow) throws -> RecordedRun {
        RecordedRun(
            id: try row.required("id", row.integer, in: "run"), target: try row.required("target", row.text, in: "run"),
            tenant: try row.required("tenant", row.text, in: "run"), status: try status(row), reasons: reasons(row),
            started: try row.required("started", row.date, in: "run"), finished: try row.required("finished", row.date, in: "run"),
            archive: row.text("archive"), archiveBytes: row.integer("archive_bytes"),
            backupTimestamp: row.date("backup_timestamp"), manifestSha256: row.text("manifest_sha256"), sample: row.text("sample"),
            seed: row.text("seed"), filesVerified: Int(row.integer("files_verified") ?? 0), bytesRestored: row.integer("bytes_restored") ?? 0,
            restoreSeconds: row.real("restore_seconds"), projectedFullRestoreSeconds: row.real("projected_full_restore_seconds"),
            rpoSeconds: row.real("rpo_seconds"), rtoSeconds: row.real("rto_seconds"), rtoMet: row.bool("rto_met"),
            findingCount: Int(row.integer("findings_count") ?? 0), entryHash: row.text("entry_hash"))
    }

    /// A stored breach kind; an unknown one (a newer version's) is an error naming the table.
    public static func breachKind(_ row: StoredRow, table: String) throws -> Breach.Kind {
        let text = try row.required("kind", row.text, in: table)
        guard let kind = Breach.Kind(rawValue: text) else { throw Unreadable(runID: 0, column: "\(table).kind", value: text) }
        return kind
    }

    /// A `breach_open` row as the open breach it records.
    public static func openBreach(_ row: StoredRow) throws -> BreachEvent {
        let opened = try row.required("opened", row.date, in: "breach_open")
        return BreachEvent(
            sequence: 0, breachID: try row.required("breach_id", row.text, in: "breach_open"), state: .opened,
            tenant: try row.required("tenant", row.text, in: "breach_open"), target: try row.required("target", row.text, in: "breach_open"),
            kind: try breachKind(row, table: "breach_open"), opened: opened, resolved: nil,
            detail: row.text("detail") ?? "", recorded: opened)
    }

    /// An `outbox` row as the event it holds.
    public static func outboxEvent(_ row: StoredRow) throws -> BreachEvent {
        let sequence = try row.required("seq", row.integer, in: "outbox")
        let stateText = try row.required("state", row.text, in: "outbox")
        guard let state = BreachEvent.State(rawValue: stateText) else {
            throw Unreadable(runID: 0, column: "outbox \(sequence) state", value: stateText)
        }
        return BreachEvent(
            sequence: sequence, breachID: try row.required("breach_id", row.text, in: "outbox"), state: state,
            tenant: try row.required("tenant", row.text, in: "outbox"), target: try row.required("target", row.text, in: "outbox"),
            kind: try breachKind(row, table: "outbox"), opened: try row.required("opened", row.date, in: "outbox"),
            resolved: row.date("resolved"), detail: row.text("detail") ?? "", recorded: try row.required("recorded", row.date, in: "outbox"))
    }

    /// A `report_delivery` row.
    public static func reportDelivery(_ row: StoredRow) throws -> ReportDeliveryState {
        ReportDeliveryState(
            lastDue: try row.required("last_due", row.date, in: "report_delivery"), attempts: Int(row.integer("attempts") ?? 0),
            retryAt: row.date("retry_at"), lastError: row.text("last_error"))
    }
}
