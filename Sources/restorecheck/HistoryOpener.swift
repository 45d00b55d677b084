import Foundation
import RestoreCheckCore
import RestoreCheckPostgres
import RestoreCheckStore

/// Opens the history the config names: the SQLite file in `state_dir` (the default), or the
/// fleet's PostgreSQL database (`history.postgresql`). The one place that knows both stores.
enum HistoryOpener {
    /// Opens (creating the SQLite file or the PostgreSQL schema if needed) the configured history.
    static func open(_ config: Config) async throws -> any HistoryDatabase {
        if let settings = config.postgresql {
            return try await PostgresHistory.open(settings, node: config.nodeName)
        }
        let store = try HistoryStore(path: config.historyPath)
        if let aside = store.quarantinedPath {
            FileHandle.standardError.write(Data("restorecheck: history was damaged; moved aside to \(aside)\n".utf8))
        }
        return store
    }

    /// Whether a history exists to read (a command that only reads must not create an empty one).
    static func exists(_ config: Config) -> Bool {
        config.postgresql != nil || FileManager.default.fileExists(atPath: config.historyPath)
    }

    /// Whether this user can read it (the SQLite file is the service user's: README "Monitoring plugin").
    static func readable(_ config: Config) -> Bool {
        config.postgresql != nil || FileManager.default.isReadableFile(atPath: config.historyPath)
    }
}
