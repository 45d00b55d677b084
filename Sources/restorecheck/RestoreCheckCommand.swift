import ArgumentParser
import CBuildInfo
import Foundation
import RestoreCheckCore
import RestoreCheckReport

/// The `restorecheck` command line. Thin: every command parses its options and calls the core.
@main
struct RestoreCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restorecheck",
        abstract: "Proves backups can be restored: intact, fast enough (RTO), recent enough (RPO).",
        discussion: """
            Exit codes of 'run': 0 every target passed, 1 at least one target failed, \
            2 usage or configuration error, 3 at least one test could not be carried out \
            (error) and none failed, 130 interrupted.
            """,
        version: RestoreCheckVersion.description,
        subcommands: [
            RunCommand.self, ServeCommand.self, StatusCommand.self, HistoryCommand.self, ReportCommand.self, EvidenceCommand.self,
            CanaryCommand.self,
            CheckConfigCommand.self, CheckCommand.self, RestoreCommand.self, NotifyCommand.self, FleetCommand.self,
            RestoreWorkerCommand.self,
        ],
        defaultSubcommand: nil
    )

    /// Parses and runs, mapping argument errors to exit code 2 (contract), not ArgumentParser's 64.
    static func main() async {
        // Process-global set-up, once, before any command runs.
        WorkerSupervisor.ignoreSIGPIPE()
        ReportRenderer.registerContentTypes()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is CleanExit {
                exit(withError: error)
            }
            if let exitCode = error as? ExitCode { Foundation.exit(exitCode.rawValue) }
            // A monitoring plugin's own failure is UNKNOWN (3), a bad option included.
            if CommandLine.arguments.dropFirst().first == CheckCommand.configuration.commandName {
                Foundation.exit(CheckCommand.unknown(fullMessage(for: error)).rawValue)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(ExitStatus.usage)
        }
    }
}

/// The version: the one home of the number (`make deb` names the package from `--version`), also
/// reported as `restorecheck_build_info`.
enum RestoreCheckVersion {
    static let current = "0.9.0"
    /// The commit the binary was built from ("unknown" for a build outside `make`).
    static let commit = String(cString: rc_build_commit())
    /// `restorecheck --version`: "restorecheck 0.9.0 (commit 1a2b3c4d5e6f)".
    static let description = "restorecheck \(current) (commit \(commit))"
}

/// Options every config-reading command shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The YAML config file.")
    var config: String = ProcessInfo.processInfo.environment["RESTORECHECK_CONFIG"] ?? "/etc/restorecheck/restorecheck.yaml"

    /// Loads the config or exits 2 with the located error.
    func load() throws -> Config {
        do {
            return try ConfigLoader().load(path: config)
        } catch {
            FileHandle.standardError.write(Data("restorecheck: config error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.usage)
        }
    }
}
