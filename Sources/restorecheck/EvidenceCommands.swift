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
            With --report, also check that every test a JSON report lists is in the history with every \
            field the same (the field that differs is named), and that FILE.sig beside it is this host's \
            signature. A report without FILE.sig is not authenticated: that is a problem (exit 1) unless \
            --allow-unsigned.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "Check only the entries recorded in this period, ending now (e.g. 90d).") var since: String?
    @Option(help: "A JSON report whose tests to check against the history.") var report: String?
    @Flag(help: "Check a --report that has no .sig beside it (its contents are then not authenticated).") var allowUnsigned = false

    func run() async throws {
        let config = try options.load()
        var start: Date?
        if let since {
            guard let span = TimeSpan(parsing: since) else { throw ValidationError("--since '\(since)' is not a duration (e.g. 90d)") }
            start = Date().addingTimeInterval(-span.seconds)
        }
        let store = try await HistoryCommands.open(config)
        let check = try await store.verifyEvidence(since: start, retention: TimeSpan(seconds: Double(config.historyDays) * 86_400), now: Date())
        if let anchor = check.anchor { print("retention anchor: \(anchor)") }
        var problems = check.problems.map(\.description)
        var unsigned = false
        if let report {
            unsigned = !FileManager.default.fileExists(atPath: report + ".sig")
            // Off the cooperative pool: the report's tests are read through `HistoryQuery`, synchronously.
            let allowUnsigned = allowUnsigned
            problems += try await DedicatedThread.run(name: "evidence") {
                Result { try Self.checkReport(report, store: store, config: config, allowUnsigned: allowUnsigned) }
            }.get()
        }
        if problems.isEmpty {
            print("evidence intact: \(check.entriesChecked) recorded test(s) checked; head \(check.headHash ?? "(empty)")")
            if let report {
                print("\(report): every test matches the history, field by field" + (unsigned ? "; unsigned: contents not authenticated" : ""))
            }
            return
        }
        for problem in problems.prefix(50) { print("evidence broken: \(problem)") }
        if problems.count > 50 { print("... and \(problems.count - 50) more") }
        throw ExitCode(ExitStatus.failed)
    }

    /// Problems of a JSON report: its signature (missing: unsigned, a problem unless allowed) and
    /// each test against the history, every field (`EvidenceRun.differingFields`): an edited report
    /// whose failed tests say "passed" keeps its chain hashes, so the hash alone proves nothing.
    static func checkReport(_ path: String, store: any HistoryQuery, config: Config, allowUnsigned: Bool) throws -> [String] {
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
        } else if !allowUnsigned {
            problems.append("\(path): unsigned: contents not authenticated (no \(path).sig); --allow-unsigned checks it against the history anyway")
        }
        let ids = Set(report.evidence.map(\.runId))
        let recorded = try store.finishedRuns(tenant: report.tenant, through: .distantFuture).filter { ids.contains($0.id) }
        let byID = Dictionary(recorded.map { ($0.id, $0) }) { first, _ in first }
        let findings = try store.findings(runIDs: Array(byID.keys), perRun: ReportRules().findingsPerRun)
        let reads = try store.sourceReads(runIDs: recorded.filter(\.readFromObjectStorage).map(\.id))
        for run in report.evidence {
            let test = "\(path): test \(run.runId) (\(UntrustedText.visible(run.target, limit: 128)))"
            guard let stored = byID[run.runId] else {
                problems.append("\(test) is not in the history of tenant \(report.tenant)")
                continue
            }
            let expected = EvidenceRun(recorded: stored, findings: findings[run.runId] ?? [], sourceRead: reads[run.runId])
            var fields = run.differingFields(from: expected)
            if fields.contains("entry_hash") {
                problems.append("\(test) has chain hash \(run.entryHash ?? "none") in the report, \(stored.entryHash ?? "none") in the history")
                fields.removeAll { $0 == "entry_hash" }
            }
            if !fields.isEmpty { problems.append("\(test) differs from the history in \(fields.joined(separator: ", "))") }
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
