import ArgumentParser
import Foundation
import RestoreCheckCore
import RestoreCheckReport
import RestoreCheckStore

/// `restorecheck evidence`: checks the recorded history's evidence chain, and the signing key.
struct EvidenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence", abstract: "Check the tamper-evident history, and print the report-signing public key.",
        subcommands: [EvidenceVerifyCommand.self, EvidencePublicKeyCommand.self])
}

/// `restorecheck evidence verify [--since 30d] [--report FILE.json]`: exit 0 when intact, 1 when not.
struct EvidenceVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the history's hash chain; name the first run changed, inserted or deleted (exit 1).",
        discussion: """
            With --report, also check that every test a JSON report lists is in the history with the \
            same chain hash, and, when FILE.sig is beside it, that the signature is this host's.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "Check only the entries recorded in this period, ending now (e.g. 90d).") var since: String?
    @Option(help: "A JSON report whose tests to check against the history.") var report: String?

    func run() async throws {
        let config = try options.load()
        var start: Date?
        if let since {
            guard let span = TimeSpan(parsing: since) else { throw ValidationError("--since '\(since)' is not a duration (e.g. 90d)") }
            start = Date().addingTimeInterval(-span.seconds)
        }
        let store = try HistoryCommands.open(config)
        let check = try store.verifyEvidence(since: start)
        var problems = check.problems.map(\.description)
        if let report { problems += try Self.checkReport(report, store: store, config: config) }
        if problems.isEmpty {
            print("evidence intact: \(check.entriesChecked) recorded test(s) checked; head \(check.headHash ?? "(empty)")")
            if let report { print("\(report): every test matches the history") }
            return
        }
        for problem in problems.prefix(50) { print("evidence broken: \(problem)") }
        if problems.count > 50 { print("... and \(problems.count - 50) more") }
        throw ExitCode(ExitStatus.failed)
    }

    /// Problems of a JSON report: its signature (when signed) and each test's chain hash.
    static func checkReport(_ path: String, store: HistoryStore, config: Config) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        let report: TenantReport
        do { report = try TenantReport.jsonDecoder().decode(TenantReport.self, from: data) } catch {
            throw ValidationError("\(path) is not a restorecheck JSON report: \(error)")
        }
        var problems: [String] = []
        if let signature = FileManager.default.contents(atPath: path + ".sig") {
            let key = try EvidenceCommands.signingKey(config)
            if !Ed25519Key.verify(signature: Array(signature), of: Array(data), publicKey: key.publicKey) {
                problems.append("\(path).sig is not this host's signature of \(path)")
            }
        }
        let stored = try store.entryHashes(runIDs: report.evidence.map(\.runId))
        for run in report.evidence {
            switch stored[run.runId] {
            case nil: problems.append("\(path): test \(run.runId) (\(run.target)) is not in the history")
            case let hash? where hash != run.entryHash:
                problems.append("\(path): test \(run.runId) (\(run.target)) has chain hash \(run.entryHash ?? "none") in the report, \(hash) in the history")
            default: break
            }
        }
        return problems
    }
}

/// `restorecheck evidence public-key`: the PEM public key customers verify signed reports with.
struct EvidencePublicKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "public-key", abstract: "Print the public key of the report-signing key (created on first use).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        print(try EvidenceCommands.signingKey(try options.load()).publicKeyPEM, terminator: "")
    }
}

enum EvidenceCommands {
    /// The host's report-signing key in `state_dir`, created (0600) on first use.
    static func signingKey(_ config: Config) throws -> Ed25519Key {
        do {
            try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
            return try Ed25519Key.loadOrCreate(at: config.signingKeyPath)
        } catch {
            FileHandle.standardError.write(Data("restorecheck: signing key: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
    }
}
