import Foundation
import PostgresNIO
import RestoreCheckCore
import Synchronization

/// What a host does while the database is away (restarted, failed over, a network partition):
/// it keeps running, and each store call is retried with backoff (0.25 s doubling to 5 s) for up to
/// `budget` seconds, so a test that finishes during a restart is still recorded once. Only
/// failures that say nothing was decided are retried: a lost connection, a server shutting down or
/// starting, a serialization failure or deadlock. An error in the statement itself is not.
///
/// Each attempt has a deadline (`attemptSeconds`): a request that hangs past it (seen after a
/// crash of the server) is abandoned with its client, and tried again on a fresh one (`ClientPool`).
///
/// A lost COMMIT is the one uncertain case (it may have landed): every write is written to be
/// repeated safely (`complete` recognises its own outcome already recorded).
enum Reconnect {
    /// How long a call keeps trying: longer than a routine restart, shorter than a lease.
    static let budget: TimeInterval = 90

    /// `budget`: shorter for a call that is pointless late (a lease renewal).
    /// `bounded: false` for work that may rightly take long (`history migrate`'s one transaction):
    /// it is neither cut at `attemptSeconds` nor retried.
    static func retrying<T: Sendable>(
        pool: ClientPool, bounded: Bool = true, budget: TimeInterval = Reconnect.budget,
        _ body: @escaping @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let deadline = Date().addingTimeInterval(budget)
        var delay = 0.25
        while true {
            let (client, generation) = pool.current
            if !bounded {
                do { return try await body(client) } catch { throw PostgresHistoryError(PostgresHistoryError.describe(error)) }
            }
            do {
                return try await attempt { try await body(client) }
            } catch {
                // A hung request: this client is given up for a fresh one.
                if error is AttemptTimedOut { pool.replace(generation: generation) }
                guard isTransient(error), Date().addingTimeInterval(delay) < deadline, !Task.isCancelled else {
                    // A refusal the store itself decided (a fenced write) reaches the caller as it is.
                    if let fenced = (error as? PostgresTransactionError)?.closureError as? FencedWriteError ?? error as? FencedWriteError { throw fenced }
                    throw PostgresHistoryError(PostgresHistoryError.describe(error))
                }
                try await Task.sleep(for: .seconds(delay))
                delay = min(delay * 2, 5)
            }
        }
    }

    /// How long one attempt may take before it is given up and tried again.
    static let attemptSeconds: Double = 15

    struct AttemptTimedOut: Error, CustomStringConvertible {
        var seconds = Reconnect.attemptSeconds
        var description: String { "the database did not answer within \(Int(seconds)) s" }
    }

    /// Runs `body` in a task of its own and waits for it at most `seconds`; past that the task is
    /// cancelled and left behind (a request that ignores cancellation must not hold the caller).
    static func attempt<T: Sendable>(seconds: Double = attemptSeconds, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let work = Task { try await body() }
        let resumed = OnceFlag()
        return try await withTaskCancellationHandler {
            try await waitAtMost(seconds, work, resumed)
        } onCancel: {
            work.cancel()
        }
    }

    private static func waitAtMost<T: Sendable>(_ seconds: Double, _ work: Task<T, any Error>, _ resumed: OnceFlag) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let timer = Task {
                try? await Task.sleep(for: .seconds(seconds))
                guard !Task.isCancelled, resumed.claim() else { return }
                work.cancel()
                continuation.resume(throwing: AttemptTimedOut(seconds: seconds))
            }
            Task {
                let result = await work.result
                timer.cancel()
                guard resumed.claim() else { return }
                continuation.resume(with: result)
            }
        }
    }

    /// Whether `error` says the database could not be reached or gave up the transaction on its own.
    static func isTransient(_ error: any Error) -> Bool {
        if let transaction = error as? PostgresTransactionError {
            return [transaction.beginError, transaction.closureError, transaction.commitError, transaction.rollbackError]
                .compactMap { $0 }.contains(where: isTransient)
        }
        // The pool gave up connecting for now (its type is in postgres-nio's underscored module).
        if String(describing: type(of: error)) == "ConnectionPoolError" { return "\(error)".contains("connectionCreationCircuitBreakerTripped") }
        if error is AttemptTimedOut { return true }
        guard let psql = error as? PSQLError else { return false }
        if [.connectionError, .serverClosedConnection, .uncleanShutdown].contains(psql.code) { return true }
        guard let state = psql.serverInfo?[.sqlState] else { return false }
        // 08: connection exception; 57P01-03: shutting down, crashed, starting; 40001/40P01: the
        // server gave up the transaction (serialization, deadlock) and it may simply be run again.
        return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "40001", "40P01"].contains(state)
    }
}


/// True for the first caller of `claim()` only: the continuation is resumed exactly once.
private final class OnceFlag: Sendable {
    private let claimed = Mutex(false)

    func claim() -> Bool {
        claimed.withLock { claimed in
            defer { claimed = true }
            return !claimed
        }
    }
}
