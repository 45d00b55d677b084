import Foundation
import GRDB
import RestoreCheckCore

/// The store's query API for reports (`HistoryQuery`): reports never see SQL.
extension HistoryStore: HistoryQuery {
    public func finishedRuns(tenant: String, through: Date) throws -> [RecordedRun] {
        try read { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT \(Self.recordedRunColumns)
                    FROM run WHERE tenant = ? AND status != 'started' AND finished IS NOT NULL AND finished <= ?
                    ORDER BY finished, id
                    """,
                arguments: [tenant, through.timeIntervalSince1970])
            var runs: [RecordedRun] = []
            while let row = try rows.next() {
                runs.append(try Self.recordedRun(row))
            }
            return runs
        }
    }

    public func findings(runIDs: [Int64], perRun: Int) throws -> [Int64: [Finding]] {
        try read { db in
            var result: [Int64: [Finding]] = [:]
            for start in stride(from: 0, to: runIDs.count, by: 500) {
                let ids = Array(runIDs[start..<min(start + 500, runIDs.count)])
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT * FROM (SELECT f.*, ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY rowid) AS position FROM finding f
                          WHERE run_id IN (\(ids.map { _ in "?" }.joined(separator: ",")))) WHERE position <= ? ORDER BY run_id, position
                        """,
                    arguments: StatementArguments(ids) + [perRun])
                while let row = try rows.next() {
                    result[row["run_id"], default: []].append(try StoredValues.finding(row))
                }
            }
            return result
        }
    }

    public func coverage(runIDs: [Int64]) throws -> [Int64: CoverageSummary] {
        try storedOutcomes(runIDs) { $0.coverage }
    }

    public func sourceReads(runIDs: [Int64]) throws -> [Int64: SourceRead] {
        try storedOutcomes(runIDs) { $0.sourceRead }
    }

    /// One part of each run's stored outcome, for the runs that have it.
    private func storedOutcomes<Part>(_ runIDs: [Int64], _ part: @escaping (Outcome) -> Part?) throws -> [Int64: Part] {
        try read { db in
            var result: [Int64: Part] = [:]
            for id in runIDs {
                guard let json = try String.fetchOne(db, sql: "SELECT outcome_json FROM run WHERE id = ?", arguments: [id]),
                    let outcome = try? Outcome.jsonDecoder().decode(Outcome.self, from: Data(json.utf8)),
                    let value = part(outcome)
                else { continue }
                result[id] = value
            }
            return result
        }
    }

    /// The columns `recordedRun` reads.
    static let recordedRunColumns = """
        id, target, tenant, status, reasons, started, finished, archive, archive_bytes, backup_timestamp,
          manifest_sha256, sample, seed, files_verified, bytes_restored, restore_seconds,
          projected_full_restore_seconds, rpo_seconds, rto_seconds, rto_met, findings_count, entry_hash
        """

    /// A finished run's row as reports and the breach ledger read it.
    static func recordedRun(_ row: Row) throws -> RecordedRun {
        RecordedRun(
            id: row["id"], target: row["target"], tenant: row["tenant"], status: try StoredValues.status(row),
            reasons: StoredValues.reasons(row),
            started: Date(timeIntervalSince1970: row["started"]), finished: Date(timeIntervalSince1970: row["finished"]),
            archive: row["archive"], archiveBytes: row["archive_bytes"],
            backupTimestamp: StoredValues.date(row, "backup_timestamp"), manifestSha256: row["manifest_sha256"], sample: row["sample"], seed: row["seed"],
            filesVerified: row["files_verified"] ?? 0, bytesRestored: row["bytes_restored"] ?? 0,
            restoreSeconds: row["restore_seconds"], projectedFullRestoreSeconds: row["projected_full_restore_seconds"],
            rpoSeconds: row["rpo_seconds"], rtoSeconds: row["rto_seconds"], rtoMet: row["rto_met"],
            findingCount: row["findings_count"] ?? 0, entryHash: row["entry_hash"])
    }
}
