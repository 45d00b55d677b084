import ArgumentParser
import Foundation
import RestoreCheckCore

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
        for target in config.targets {
            let manifest = target.manifestTemplate ?? "none (integrity only)"
            print("  \(target.tenant)/\(target.name): \(target.archiveGlob)")
            print("    manifest \(manifest); sample \(target.sample.summary); rpo \(target.rpo); rto \(target.rto); content checks \(target.contentChecks.rawValue)")
            if let canary = target.canary {
                let key = FileManager.default.fileExists(atPath: canary.keyPath)
                    ? canary.keyPath : "\(canary.keyPath) MISSING: run 'restorecheck canary write' first (tests will be internal_error)"
                print("    canary \(canary.entry); key \(key)")
            }
        }
        if config.report.serve { print("  reports: served at /reports/ (period \(config.report.period))") }
    }
}
