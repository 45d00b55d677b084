import Foundation
import PostgresNIO
import RestoreCheckCore

/// `history migrate`: a SQLite history copied into an empty PostgreSQL one, row for row, chain
/// columns included, in one transaction (a failed copy leaves nothing behind).
extension PostgresHistory {
    /// The rows of one table of the source history, in their recorded order.
    public typealias TableReader = @Sendable (_ table: String, _ columns: [String]) throws -> [StoredRow]

    /// Copies every table `read` gives into this (empty) history; returns rows copied per table.
    public func importHistory(_ read: @escaping TableReader) async throws -> [String: Int] {
        try await transaction(bounded: false) { [self] connection in
            let existing = try await Self.rows(connection, "SELECT COUNT(*) AS runs FROM run", logger: logger).first?.integer("runs") ?? 0
            guard existing == 0 else {
                throw PostgresHistoryError("the PostgreSQL history already holds \(existing) runs: migrate only into an empty one")
            }
            var copied: [String: Int] = [:]
            for table in PostgresSchema.copied {
                // Columns the source has (a PostgreSQL-only column such as run.node stays NULL).
                let sourceColumns = table.columns.filter { $0.name != "node" }
                let rows = try read(table.name, sourceColumns.map(\.name))
                for row in rows {
                    var binds = PostgresBindings()
                    for column in sourceColumns { try binds.append(row[column.name], as: column.type) }
                    let names = sourceColumns.map(\.name).joined(separator: ", ")
                    let placeholders = (1...sourceColumns.count).map { "$\($0)" }.joined(separator: ", ")
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "INSERT INTO \(table.name) (\(names)) VALUES (\(placeholders))", binds: binds), logger: logger)
                }
                if let identity = table.identity {
                    try await connection.query(
                        PostgresQuery(
                            unsafeSQL: """
                                SELECT setval(pg_get_serial_sequence('\(table.name)', '\(identity)'),
                                  GREATEST((SELECT COALESCE(MAX(\(identity)), 0) FROM \(table.name)), 1), (SELECT COUNT(*) > 0 FROM \(table.name)))
                                """), logger: logger)
                }
                copied[table.name] = rows.count
            }
            // The chain continues from the copied head (or the anchor, when retention left no run).
            try await connection.query(
                """
                UPDATE chain_head SET (chain_seq, entry_hash) = (
                  SELECT seq, hash FROM (
                    SELECT chain_seq AS seq, entry_hash AS hash FROM run WHERE chain_seq IS NOT NULL
                    UNION ALL SELECT chain_seq, entry_hash FROM evidence_anchor
                    UNION ALL SELECT 0, NULL) heads ORDER BY seq DESC LIMIT 1)
                WHERE id = 1
                """, logger: logger)
            return copied
        }
    }
}
