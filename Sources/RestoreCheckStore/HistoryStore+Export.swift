import Foundation
import GRDB
import RestoreCheckCore

extension HistoryStore {
    /// The tables `history migrate` may copy.
    static let exportable: Set<String> = [
        "run", "finding", "evidence_anchor", "breach_open", "watched_target", "outbox", "outbox_channel", "outbox_delivery", "report_delivery",
    ]

    /// Every row of `table` in recorded order (SQLite's rowid), with `columns`: for `history migrate`,
    /// which copies them as stored, chain columns included.
    public func exportRows(table: String, columns: [String]) throws -> [StoredRow] {
        guard Self.exportable.contains(table) else { throw DatabaseError(message: "\(table) is not a history table") }
        let known = try read { db in try db.columns(in: table).map(\.name) }
        for column in columns where !known.contains(column) {
            throw DatabaseError(message: "the SQLite history's \(table) table has no column \(column)")
        }
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        return try read { db in try Row.fetchAll(db, sql: "SELECT \(list) FROM \(table) ORDER BY rowid").map(\.stored) }
    }
}
