import ArchiveFormats
import ArgumentParser
import Foundation
import RestoreCheckCore
import RestoreCheckWorker

/// `restorecheck check-config`: validates the config without touching any archive.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the config file and print what it configures; exit 2 on an error.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load()
        print("\(config.sourcePath): OK, \(config.targets.count) target(s)")
        print("  scratch_dir: \(config.scratchDirectory)")
        print("  state_dir:   \(config.stateDirectory)")
        print("  history:     \(config.historyLocation)")
        if config.postgresql != nil || config.fleet != FleetSettings() {
            let tested = config.targetsTestedHere
            print("  fleet:       node \(config.nodeName); "
                + (config.fleet.locations.map { "locations \($0.joined(separator: ", ")); " } ?? "")
                + "tests \(tested.count) of \(config.targets.count) target(s) here; lease \(config.fleet.lease), "
                + "\(config.concurrentTestsHere) at once, \(config.fleet.perTenant) per tenant across the fleet")
        }
        print("  decoders:    \(WorkerDecoders.summary)")
        for target in config.targets {
            let manifest = target.manifestTemplate ?? "none (integrity only)"
            print("  \(target.tenant)/\(target.name): \(target.archiveGlob)")
            if let location = target.location {
                print("    location \(location)" + (config.fleet.tests(target) ? "" : ": not tested by this host (fleet.locations)"))
            }
            if target.repository == nil, let newest = ArchiveLocator.newest(matching: target.archiveGlob),
                let window = ArchiveSignature.zstdWindow(atPath: newest.path), window > ArchiveSignature.zstdWindowLimit
            {
                print("    WARNING: the newest archive is zstd with a \(window >> 20) MiB window (zstd --long); libarchive reads up to "
                    + "\(ArchiveSignature.zstdWindowLimit >> 20) MiB, so tests will be unsupported_format: compress with zstd --long=27 or less")
            }
            if let storage = target.objectStorage {
                let credentials = storage.bucket.credentialsFile.map { "credentials_file \($0)" } ?? "credentials from AWS_* in the environment"
                print("    s3 \(storage.bucket.endpoint) region \(storage.bucket.region), \(credentials): "
                    + ObjectStorageProbe.describe(target, scratchBase: config.scratchDirectory))
                if let budget = target.egressBudget {
                    print("    egress budget \(ByteCount.format(budget))/month; " + ObjectStorageProbe.budgetUse(target))
                }
            }
            if let repository = target.repository {
                let probe = RepositoryRestore.probe(repository, scratchBase: NSTemporaryDirectory(), timeout: TimeSpan(seconds: 60))
                print("    \(repository.tool.rawValue) \(repository.tool == .restic ? "snapshot" : "archive") \(repository.snapshot): \(probe)")
            }
            print("    manifest \(manifest); sample \(target.sample.summary); rpo \(target.rpo); rto \(target.rto); content checks \(target.contentChecks.rawValue)")
            if let canary = target.canary {
                let key = FileManager.default.fileExists(atPath: canary.keyPath)
                    ? canary.keyPath : "\(canary.keyPath) MISSING: run 'restorecheck canary write' first (tests will be internal_error)"
                print("    canary \(canary.entry); key \(key)")
            }
            if let window = target.sample.coverage { print("    coverage \(window): " + coverageAdvice(target, window: window)) }
            for rule in target.validate {
                if let check = rule.check {
                    let missing = check == .pgDump && PGDumpValidator.locate() == nil
                    print("    validate \(rule.match) with \(check.rawValue)" + (missing ? ": pg_restore MISSING (install postgresql-client; tests will be internal_error)" : ""))
                } else if let command = rule.command {
                    let why = SandboxedCommand.unavailable() ?? SandboxedCommand.unreachable(scratchBase: config.scratchDirectory)
                    let sandbox = why.map { ": SANDBOX UNAVAILABLE, commands are refused: \($0)" } ?? ""
                    print("    validate \(rule.match) with command \(command.joined(separator: " ")) (timeout \(rule.timeout))\(sandbox)")
                    for path in SandboxedCommand.hiddenHostPaths(command) {
                        print("      WARNING: \(path) is not in the sandbox (it sees the host's /usr, the restored files at /scratch, "
                            + "a private /tmp and the program itself): the command would fail every test with validation_failed; "
                            + "make that file the program (a script with a #! line), or install it under /usr")
                    }
                }
            }
        }
        if config.report.serve { print("  reports: served at /reports/ (period \(config.report.period))") }
    }

    /// Whether the sample can verify the newest manifest within the window at the target's `every`.
    func coverageAdvice(_ target: Target, window: TimeSpan) -> String {
        guard case .files(let perTest) = target.sample.size else { return "every file, every test (files: all)" }
        guard let archive = ArchiveLocator.newest(matching: target.archiveGlob),
            let manifest = target.manifestPath(forArchive: archive.path),
            let files = try? Manifest.countEntries(inFile: manifest)
        else { return "no manifest yet to size it by" }
        let needed = CoverageSummary.filesPerTest(toCover: files, window: window, every: target.schedule.every)
        let scope = "the newest manifest lists \(files) files; one test per \(target.schedule.every)"
        return perTest >= needed
            ? "\(scope): \(perTest) files per test verify all of them within the window"
            : "\(scope): \(perTest) files per test cannot verify all of them within the window; \(needed) per test would"
    }
}
