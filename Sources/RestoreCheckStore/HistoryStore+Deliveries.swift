import Foundation
import GRDB
import RestoreCheckCore

/// Scheduled report deliveries in SQLite (`ReportDeliveryLedger`).
extension HistoryStore: ReportDeliveryLedger {
    public func reportDeliveryState(name: String, baseline: Date) async throws -> ReportDeliveryState {
        try await queue.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO report_delivery (name, last_due) VALUES (?, ?)", arguments: [name, baseline.timeIntervalSince1970])
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM report_delivery WHERE name = ?", arguments: [name]) else {
                return ReportDeliveryState(lastDue: baseline)
            }
            return try StoredValues.reportDelivery(row.stored)
        }
    }

    public func markReportDelivered(name: String, due: Date) async throws {
        try await queue.write { db in
            try db.execute(
                sql: "UPDATE report_delivery SET last_due = MAX(last_due, ?), attempts = 0, retry_at = NULL, last_error = NULL WHERE name = ?",
                arguments: [due.timeIntervalSince1970, name])
        }
    }

    public func markReportFailed(name: String, error: String, retryAt: Date) async throws {
        try await queue.write { db in
            try db.execute(
                sql: "UPDATE report_delivery SET attempts = attempts + 1, retry_at = ?, last_error = ? WHERE name = ?",
                arguments: [retryAt.timeIntervalSince1970, error, name])
        }
    }
}
