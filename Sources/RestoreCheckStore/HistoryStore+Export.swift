import Foundation
import GRDB
import RestoreCheckCore

extension HistoryStore {
    /// Every row of `table` in recorded order (SQLite's rowid), with `columns`: for `history migrate`,
    /// which copies them as stored, chain columns included.
    public func exportRows(table: String, columns: [String]) throws -> [StoredRow] {
        // The names come from the caller's table list (`PostgresSchema.copied`); each must be one of
        // this file's tables and columns before it is put in SQL.
        guard try read({ try $0.tableExists(table) }) else { throw DatabaseError(message: "the SQLite history has no table \(table)") }
        let known = try read { db in try db.columns(in: table).map(\.name) }
        for column in columns where !known.contains(column) {
            throw DatabaseError(message: "the SQLite history's \(table) table has no column \(column)")
        }
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        return try read { db in try Row.fetchAll(db, sql: "SELECT \(list) FROM \(table) ORDER BY rowid").map(\.stored) }
    }
}
