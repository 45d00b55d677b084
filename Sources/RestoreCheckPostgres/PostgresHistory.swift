import Foundation
import Logging
import PostgresNIO
import RestoreCheckCore

/// The outcome history in PostgreSQL, shared by a fleet of verifier hosts (`history.postgresql`,
/// docs/fleet.md): the same `RunHistory` the SQLite `HistoryStore` implements, so the daemon, `run`
/// and the commands never see which database holds it.
///
/// The same tables and columns as SQLite's (times as epoch seconds in `double precision`, so a run's
/// canonical record, and so the evidence chain's hashes, are the same in both: `history migrate`
/// copies a chain that verifies unchanged), plus:
/// - `run.node`: the host that recorded the run (part of its chained record);
/// - `chain_head`: one row locked by every append, so hosts append to the one chain in turn;
/// - per-target advisory locks around the breach ledger, so two hosts never record one change twice.
public final class PostgresHistory: Sendable {
    let pool: ClientPool
    let logger: Logger
    /// The host recording runs through this store (`fleet.node`, default the host name).
    public let node: String
    public let settings: PostgresSettings

    private init(pool: ClientPool, logger: Logger, node: String, settings: PostgresSettings) {
        self.pool = pool
        self.logger = logger
        self.node = node
        self.settings = settings
    }

    /// Connects (the client reconnects by itself after the server restarts) and brings the schema
    /// up to date. Call `close()` when done.
    public static func open(_ settings: PostgresSettings, node: String) async throws -> PostgresHistory {
        var logger = Logger(label: "restorecheck.postgres")
        logger.logLevel = .critical
        do {
            try await PostgresConnector.probe(settings, logger: logger)
        } catch {
            throw PostgresHistoryError(PostgresHistoryError.describe(error))
        }
        let pool = ClientPool(configuration: try PostgresConnector.configuration(settings), logger: logger)
        let history = PostgresHistory(pool: pool, logger: logger, node: node, settings: settings)
        do {
            try await PostgresSchema.migrate(history)
        } catch {
            history.close()
            throw PostgresHistoryError(PostgresHistoryError.describe(error))
        }
        return history
    }

    /// Closes the connections.
    public func close() {
        pool.close()
    }

    /// Runs `body` in one transaction on one connection: everything it writes commits together or
    /// not at all. Retried whole while the database is unreachable (`Reconnect`).
    func transaction<Result: Sendable>(
        bounded: Bool = true, budget: TimeInterval = Reconnect.budget, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let logger = logger
        return try await Reconnect.retrying(pool: pool, bounded: bounded, budget: budget) { client in
            try await client.withConnection { connection in
                try await connection.withTransaction(logger: logger) { try await body($0) }
            }
        }
    }

    /// The rows of one query, outside any transaction (retried as `transaction` is).
    func rows(_ query: PostgresQuery) async throws -> [StoredRow] {
        let logger = logger
        return try await Reconnect.retrying(pool: pool) { client in try await client.query(query, logger: logger).collect().map(Self.stored) }
    }

    /// A statement outside any transaction.
    func execute(_ query: PostgresQuery) async throws {
        _ = try await rows(query)
    }

    /// The rows of one query inside a transaction.
    static func rows(_ connection: PostgresConnection, _ query: PostgresQuery, logger: Logger) async throws -> [StoredRow] {
        try await connection.query(query, logger: logger).collect().map(stored)
    }

    /// A row as every store hands it to the shared rules (`StoredValues`, `EvidenceRecord`).
    static func stored(_ row: PostgresRow) -> StoredRow {
        StoredRow(
            row.map { cell in
                guard cell.bytes != nil else { return (name: cell.columnName, value: .null) }
                let value: StoredValue
                switch cell.dataType {
                case .int8, .int4, .int2: value = (try? cell.decode(Int64.self)).map(StoredValue.integer) ?? .null
                case .float8, .float4, .numeric: value = (try? cell.decode(Double.self)).map(StoredValue.real) ?? .null
                case .bool: value = (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
                case .bytea: value = (try? cell.decode(ByteBuffer.self)).map { .blob(Array($0.readableBytesView)) } ?? .null
                default: value = (try? cell.decode(String.self)).map(StoredValue.text) ?? .null
                }
                return (name: cell.columnName, value: value)
            })
    }

    /// Runs an async query for a synchronous caller (`HistoryQuery`: reports are built on their own
    /// thread, never a cooperative one, so waiting here blocks no task the query needs).
    func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        return try box.get()
    }
}

/// A result handed from a detached task to the thread that waits for it.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?

    func set(_ value: Result<T, any Error>) { lock.withLock { result = value } }

    func get() throws -> T {
        guard let result = lock.withLock({ result }) else { throw PostgresHistoryError("a query did not finish") }
        return try result.get()
    }
}

extension PostgresBindings {
    /// A stored value as a bind parameter of the column's type (`history migrate` copies rows whose
    /// SQLite values follow their column's affinity).
    mutating func append(_ value: StoredValue, as type: PostgresColumnType) throws {
        switch (value, type) {
        case (.null, _): appendNull()
        case (.integer(let integer), .bigint): append(integer)
        case (.real(let real), .bigint):
            guard let integer = Int64(exactly: real) else { throw PostgresHistoryError("\(real) is not an integer") }
            append(integer)
        case (.integer(let integer), .double): append(Double(integer))
        case (.real(let real), .double): append(real)
        case (.text(let text), .text): append(text)
        case (.integer(let integer), .text): append(String(integer))
        case (.real(let real), .text): append(real.description)
        case (.blob(let bytes), .text): append(Hex.encode(bytes))
        case (let other, _): throw PostgresHistoryError("a \(type) column cannot hold \(other)")
        }
    }
}

/// The column types the history uses.
enum PostgresColumnType: String, Sendable {
    case bigint
    case double = "double precision"
    case text
}

extension PostgresHistory: HistoryDatabase {
    public var location: String { settings.displayName }
}
