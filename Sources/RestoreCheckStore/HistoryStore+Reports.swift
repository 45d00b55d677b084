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
                    SELECT \(StoredValues.recordedRunColumns)
                    FROM run WHERE tenant = ? AND status != 'started' AND finished IS NOT NULL AND finished <= ?
                    ORDER BY finished, id
                    """,
                arguments: [tenant, through.timeIntervalSince1970])
            var runs: [RecordedRun] = []
            while let row = try rows.next() {
                runs.append(try StoredValues.recordedRun(row.stored))
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
                    result[row["run_id"], default: []].append(try StoredValues.finding(row.stored))
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
}
