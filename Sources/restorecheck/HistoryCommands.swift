import ArgumentParser
import Foundation
import RestoreCheckCore
import RestoreCheckStore

/// `restorecheck status`: the newest outcome of every target, from the history.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the newest recorded outcome of every target (from the history).")

    @OptionGroup var options: ConfigOptions
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        let config = try options.load()
        let store = try await HistoryCommands.open(config)
        let latest = try await store.latestPerTarget()
        let verified = try await store.verifiedRestorePoints()
        let configured = Set(config.targets.map(\.name))
        if json {
            let rows = latest.map { record in
                HistoryCommands.JSONRow(record, verifiedBackup: verified[record.target]?.backup, configured: configured.contains(record.target))
            }
            print(HistoryCommands.encode(["targets": rows]))
            return
        }
        var rows = [["TENANT", "TARGET", "STATUS", "TESTED", "BACKUP", "VERIFIED BACKUP", "COVERAGE", "REASONS"]]
        let now = Date()
        for target in config.targets {
            guard let record = latest.first(where: { $0.target == target.name }) else {
                rows.append([target.tenant, target.name, "never tested", "-", "-", "-", "-", "-"])
                continue
            }
            rows.append(HistoryCommands.row(record, verifiedBackup: verified[record.target]?.backup, now: now))
        }
        print(OutcomeTable.align(rows).joined(separator: "\n"))
    }
}

/// `restorecheck history`: `history TARGET` shows a target's tests (`history show`, the default);
/// `history migrate` copies the SQLite history into PostgreSQL. A target named `show` or `migrate`
/// is shown with `history show NAME`.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show a target's recorded restore tests, or migrate the history to PostgreSQL.",
        subcommands: [HistoryShowCommand.self, HistoryMigrateCommand.self], defaultSubcommand: HistoryShowCommand.self)
}

/// `restorecheck history [show] TARGET`: the recorded tests of one target, newest first.
struct HistoryShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show the recorded restore tests of one target, newest first.")

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The target's name.") var target: String
    @Option(help: "How many tests to show.") var limit = 20
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        let config = try options.load()
        let store = try await HistoryCommands.open(config)
        let records = try await store.history(target: target, limit: max(1, limit))
        if records.isEmpty && !config.targets.contains(where: { $0.name == target }) {
            FileHandle.standardError.write(Data("restorecheck: no target named '\(target)' in the config or the history\n".utf8))
            throw ExitCode(ExitStatus.usage)
        }
        if json {
            print(HistoryCommands.encode(["runs": records.map { HistoryCommands.JSONRow($0, verifiedBackup: nil, configured: true) }]))
            return
        }
        var rows = [["STARTED", "STATUS", "RESTORE", "FILES", "BACKUP AGE", "REASONS", "SUMMARY"]]
        for record in records {
            let outcome = record.outcome
            rows.append([
                record.started.formatted(.iso8601), record.status.rawValue,
                outcome?.restoreSeconds.map(TimeSpan.format) ?? "-",
                outcome.map { "\($0.filesVerified)" } ?? "-",
                outcome?.backupAgeSeconds.map(TimeSpan.format) ?? "-",
                record.reasons.isEmpty ? "-" : record.reasons.joined(separator: ","),
                outcome?.summary ?? (record.status == .aborted ? "stopped before it finished" : "-"),
            ])
        }
        print(OutcomeTable.align(rows).joined(separator: "\n"))
    }
}

enum HistoryCommands {
    static func open(_ config: Config) async throws -> any HistoryDatabase {
        guard HistoryOpener.exists(config) else {
            FileHandle.standardError.write(Data("restorecheck: no history yet at \(config.historyPath) (run 'restorecheck run' or start the daemon)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        do {
            return try await HistoryOpener.open(config)
        } catch {
            FileHandle.standardError.write(Data("restorecheck: cannot open the history at \(config.historyLocation): \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
    }

    static func row(_ record: RunRecord, verifiedBackup: Date?, now: Date) -> [String] {
        // A backup time from the backup itself may lie ahead (a forged or skewed date): never a negative age.
        let ago = { (date: Date) in date > now ? "in the future" : TimeSpan.format(now.timeIntervalSince(date)) + " ago" }
        return [
            record.tenant, record.target, record.status.rawValue, ago(record.finished ?? record.started),
            record.backupTimestamp.map(ago) ?? "-", verifiedBackup.map(ago) ?? "never",
            record.outcome?.coverage.map(\.shortText) ?? "-",
            record.reasons.isEmpty ? "-" : record.reasons.joined(separator: ","),
        ]
    }

    /// A history row as JSON: the stored outcome when the run completed.
    struct JSONRow: Encodable {
        var id: Int64
        var target: String
        var tenant: String
        var status: String
        var reasons: [String]
        /// `serve`, `run` or `restore`: what recorded it.
        var origin: String
        var started: Date
        var finished: Date?
        var verifiedBackupTimestamp: Date?
        var configured: Bool
        var outcome: Outcome?

        init(_ record: RunRecord, verifiedBackup: Date?, configured: Bool) {
            id = record.id
            target = record.target
            tenant = record.tenant
            status = record.status.rawValue
            reasons = record.reasons
            origin = record.origin
            started = record.started
            finished = record.finished
            verifiedBackupTimestamp = verifiedBackup
            self.configured = configured
            outcome = record.outcome
        }
    }

    static func encode(_ value: some Encodable) -> String {
        String(decoding: (try? Outcome.jsonEncoder().encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
