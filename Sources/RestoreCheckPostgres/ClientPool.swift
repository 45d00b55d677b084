import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The postgres-nio client (its connection pool) a store uses, replaceable: when a request hangs
/// past its deadline (seen after an immediate shutdown of the server: a request made while it was
/// down never completed, nor honoured cancellation, even once the server was back), `Reconnect`
/// abandons that client and starts a fresh one, whose first connect reaches the server again.
final class ClientPool: Sendable {
    private let configuration: PostgresClient.Configuration
    private let logger: Logger
    private let state: Mutex<(client: PostgresClient, runner: Task<Void, Never>, generation: Int)>

    init(configuration: PostgresClient.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        // The client's connection pool runs for as long as it is the store's.
        state = Mutex((client, Task { await client.run() }, 0))
    }

    /// The client to use now, and its generation (to replace only the one that hung).
    var current: (client: PostgresClient, generation: Int) {
        state.withLock { ($0.client, $0.generation) }
    }

    /// Replaces the client of `generation` (a later one is left alone: another caller already did).
    func replace(generation: Int) {
        let configuration = configuration
        let logger = logger
        let old: Task<Void, Never>? = state.withLock { state in
            guard state.generation == generation else { return nil }
            let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
            let previous = state.runner
            state = (client, Task { await client.run() }, generation + 1)
            return previous
        }
        old?.cancel()
    }

    func close() {
        state.withLock { $0.runner }.cancel()
    }
}
