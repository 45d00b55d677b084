import Foundation
import Logging
import PostgresNIO
import RestoreCheckCore
import Synchronization

/// The planner's lock (`PlannerLock`): a session advisory lock on a connection of its own. The lock
/// lives exactly as long as the session, so when its node dies or loses the database the server
/// frees it and another node's next `hold()` takes over.
///
/// A node paused (SIGSTOP, a frozen VM) keeps its TCP session open, and with it the lock. The
/// session's `idle_session_timeout` ends that: a planner asks at least every few seconds, so a
/// session silent for `idleTimeout` belongs to a node that stopped, and the server closes it.
final class PostgresPlannerLock: PlannerLock {
    private let settings: PostgresSettings
    private let logger: Logger
    private let state = Mutex<(connection: PostgresConnection?, held: Bool)>((nil, false))

    /// The advisory lock key ("rcplanr" in ASCII).
    static let key: Int64 = 0x0072_6370_6C61_6E72
    /// How long the holder may be silent before the server frees its lock.
    static let idleTimeout: Duration = .seconds(30)
    /// How long one check may take: a planner that cannot reach the database in this time plans nothing.
    static let checkSeconds: Double = 10

    init(settings: PostgresSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    func hold() async -> Bool {
        do {
            return try await Reconnect.attempt(seconds: Self.checkSeconds) { [self] in try await holdOrTake() }
        } catch {
            // The session is gone or hung: so is the lock. Next time a fresh session tries again.
            drop()
            return false
        }
    }

    func release() async {
        let connection = state.withLock { state in
            defer { state = (nil, false) }
            return state.connection
        }
        try? await connection?.close()
    }

    private func holdOrTake() async throws -> Bool {
        let (existing, held) = state.withLock { ($0.connection, $0.held) }
        let connection: PostgresConnection
        if let existing {
            connection = existing
        } else {
            connection = try await PostgresConnector.connect(settings, logger: logger)
            try await connection.query(
                PostgresQuery(unsafeSQL: "SET idle_session_timeout = '\(Self.idleTimeout.components.seconds)s'"), logger: logger)
            state.withLock { $0 = (connection, false) }
        }
        if held {
            // Still this session's: a round trip proves the session (and so the lock) is alive.
            _ = try await connection.query("SELECT 1 AS alive", logger: logger).collect()
            return true
        }
        let rows = try await connection.query("SELECT pg_try_advisory_lock(\(Self.key)) AS taken", logger: logger).collect()
        let taken = try rows.first?.decode(Bool.self) ?? false
        state.withLock { $0.held = taken }
        return taken
    }

    private func drop() {
        let connection = state.withLock { state in
            defer { state = (nil, false) }
            return state.connection
        }
        if let connection { Task { try? await connection.close() } }
    }
}
