import ArgumentParser
import Foundation
import RestoreCheckCore
import RestoreCheckPostgres
import RestoreCheckStore

/// `restorecheck history migrate --to URL`: copies this host's SQLite history into an empty
/// PostgreSQL history, chain included, and proves the copy: both chains are verified and must end
/// in the same head hash with the same problems (none, for an intact history).
struct HistoryMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy the SQLite history into an empty PostgreSQL history (for history.postgresql), evidence chain included.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "The PostgreSQL history: postgresql://USER@HOST:PORT/DB?sslmode=verify-full (no password in it).") var to: String
    @Option(help: "A file holding the role's password (else PGPASSFILE or ~/.pgpass).") var passwordFile: String?

    func run() async throws {
        let config = try options.load()
        var settings: PostgresSettings
        do { settings = try PostgresSettings.parse(url: to) } catch { throw ValidationError("--to: \(error)") }
        settings.passwordFile = passwordFile
        guard FileManager.default.fileExists(atPath: config.historyPath) else {
            FileHandle.standardError.write(Data("restorecheck: no SQLite history at \(config.historyPath) to migrate\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        let source = try HistoryStore(path: config.historyPath)
        let retention = TimeSpan(seconds: Double(config.historyDays) * 86_400)
        let now = Date()
        let before = try await source.verifyEvidence(since: nil, retention: retention, now: now)
        let target: PostgresHistory
        let copied: [String: Int]
        do {
            target = try await PostgresHistory.open(settings, node: config.nodeName)
            copied = try await target.importHistory { table, columns in try source.exportRows(table: table, columns: columns) }
        } catch {
            FileHandle.standardError.write(Data("restorecheck: history migrate to \(settings.displayName): \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        defer { target.close() }
        let after = try await target.verifyEvidence(since: nil, retention: retention, now: now)
        print("copied \(copied["run"] ?? 0) run(s), \(copied["finding"] ?? 0) finding(s), \(copied["outbox"] ?? 0) outbox event(s) to \(settings.displayName)")
        print("SQLite     chain: \(before.entriesChecked) entries, head \(before.headHash ?? "(empty)")")
        print("PostgreSQL chain: \(after.entriesChecked) entries, head \(after.headHash ?? "(empty)")")
        guard before.headHash == after.headHash, before.entriesChecked == after.entriesChecked, before.problems == after.problems else {
            print("the copy does not verify as the original does: do not switch to it")
            throw ExitCode(ExitStatus.failed)
        }
        for problem in after.problems { print("evidence broken (in the original too, copied as it is): \(problem)") }
        print(after.isIntact ? "the copy verifies with the same hashes: set history.postgresql and restart" : "copied with the original's problems")
        if !after.isIntact { throw ExitCode(ExitStatus.failed) }
    }
}
