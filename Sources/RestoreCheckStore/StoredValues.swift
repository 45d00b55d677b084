import Foundation
import GRDB
import RestoreCheckCore

/// The one home for reading the history's stored values back into types: a run's status and
/// reasons, and a finding. A value this version does not know (written by a newer restorecheck
/// sharing the history, or edited by hand) is an error that names the run and the value; it is
/// never read as some other value (an unknown reason as `archive_corrupt` would forge a verdict).
enum StoredValues {
    /// A stored value this restorecheck cannot read.
    struct Unreadable: Error, CustomStringConvertible {
        var runID: Int64
        var column: String
        var value: String

        var description: String {
            "history: run \(runID) has \(column) '\(value)', which this restorecheck does not know "
                + "(written by a newer version? upgrade this host)"
        }
    }

    static func status(_ row: Row) throws -> RunStatus {
        let text: String = row["status"]
        guard let status = RunStatus(rawValue: text) else { throw Unreadable(runID: row["id"], column: "status", value: text) }
        return status
    }

    /// A run's reasons as recorded (comma-separated in one column), in their recorded order.
    static func reasons(_ row: Row) -> [String] {
        let text: String = row["reasons"]
        return text.isEmpty ? [] : text.split(separator: ",").map(String.init)
    }

    /// A `finding` row.
    static func finding(_ row: Row) throws -> Finding {
        let reasonText: String = row["reason"]
        guard let reason = OutcomeReason(rawValue: reasonText) else {
            throw Unreadable(runID: row["run_id"], column: "a finding with reason", value: reasonText)
        }
        return Finding(
            path: row["path"], reason: reason, detail: row["detail"], expectedSHA256: row["expected_sha256"], actualSHA256: row["actual_sha256"])
    }

    /// A `run` row, with its outcome document decoded (absent when this version cannot decode it:
    /// the row's own columns still say how it ended).
    static func runRecord(_ row: Row) throws -> RunRecord {
        let json: String? = row["outcome_json"]
        return RunRecord(
            id: row["id"], target: row["target"], tenant: row["tenant"], status: try status(row), reasons: reasons(row),
            origin: row["origin"], started: Date(timeIntervalSince1970: row["started"]), finished: date(row, "finished"),
            backupTimestamp: date(row, "backup_timestamp"),
            outcome: json.flatMap { try? Outcome.jsonDecoder().decode(Outcome.self, from: Data($0.utf8)) })
    }

    static func date(_ row: Row, _ column: String) -> Date? {
        (row[column] as Double?).map(Date.init(timeIntervalSince1970:))
    }
}
