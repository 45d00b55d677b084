import Foundation
import GRDB
import RestoreCheckCore
import RestoreCheckPostgres
import RestoreCheckStore
import RestoreCheckTestSupport

/// The two history stores, for the suite that runs the same tests against both: SQLite in a
/// temporary file, PostgreSQL in a fresh database of the shared test cluster (`SharedPostgres`).
public enum HistoryBackend: String, CaseIterable, Sendable {
    case sqlite
    case postgresql

    /// A fresh, empty history.
    public func open(_ label: String, node: String = "node-a") async throws -> OpenHistory {
        switch self {
        case .sqlite:
            let temp = TemporaryDirectory(label)
            let path = temp.url("history.sqlite")
            return OpenHistory(store: try HistoryStore(path: path), kind: .sqlite(path: path, temp: temp))
        case .postgresql:
            // initdb and createdb block: on a thread of their own, not the cooperative pool's.
            let settings = try await Blocking.run { try SharedPostgres.database(label) }
            return OpenHistory(store: try await PostgresHistory.open(settings, node: node), kind: .postgresql(settings))
        }
    }
}

/// An open history of either kind, with what a test needs beyond `RunHistory`: the evidence check,
/// and raw SQL to tamper with it as an attacker with write access would.
public struct OpenHistory: Sendable {
    public enum Kind: Sendable {
        case sqlite(path: String, temp: TemporaryDirectory)
        case postgresql(PostgresSettings)
    }

    public let store: any RunHistory & ReportDeliveryLedger
    public let kind: Kind

    /// Another connection to the same history, as a second host (PostgreSQL) or process (SQLite).
    public func reopen(node: String) async throws -> any RunHistory & ReportDeliveryLedger {
        switch kind {
        case .sqlite(let path, _): try HistoryStore(path: path)
        case .postgresql(let settings): try await PostgresHistory.open(settings, node: node)
        }
    }

    public func verify(since: Date? = nil) async throws -> EvidenceCheck {
        switch store {
        case let sqlite as HistoryStore: try sqlite.verifyEvidence(since: since)
        case let postgres as PostgresHistory: try await postgres.verifyEvidence(since: since)
        default: fatalError("unknown store")
        }
    }

    /// Runs `sql` on the history directly, around the store (its placeholders: none).
    public func tamper(_ sql: String) async throws {
        switch kind {
        case .sqlite(let path, _):
            let queue = try DatabaseQueue(path: path)
            try await queue.write { try $0.execute(sql: sql) }
        case .postgresql(let settings):
            try await Blocking.run { try Self.psql(settings, sql) }
        }
    }

    private static func psql(_ settings: PostgresSettings, _ sql: String) throws {
        let server = try SharedPostgres.server()
        // From a file the server's user can read: the SQL's quotes never meet a shell.
        let file = "/tmp/rc-tamper-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sql"
        try "SET search_path TO restorecheck;\n\(sql);\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        try server.run("psql", "-v ON_ERROR_STOP=1 -q -d \(settings.database) -f \(file)")
    }

    public func close() {
        (store as? PostgresHistory)?.close()
    }
}
