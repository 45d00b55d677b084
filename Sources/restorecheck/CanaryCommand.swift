import ArgumentParser
import Foundation
import RestoreCheckCore

/// `restorecheck canary write DIR --target NAME`: the pre-backup step of a canary-proven RPO.
struct CanaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canary", abstract: "Write the canary file a backup carries (its capture time, signed).",
        subcommands: [CanaryWriteCommand.self])
}

struct CanaryWriteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write",
        abstract: "Write DIR/.restorecheck-canary for TARGET: run it just before each backup of DIR.",
        discussion: """
            The file holds the capture time, a random nonce and an HMAC-SHA-256 under the target's \
            canary key (canary_key, else state_dir/canary.key, created 0600 on first use). On a \
            backup source that is not the verifier host, copy that key there and pass --key.
            """)

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The directory the backup archives.") var directory: String
    @Option(help: "The target whose backups carry this canary.") var target: String
    @Option(help: "The canary key file (default: the target's canary_key, else state_dir/canary.key).") var key: String?

    func run() async throws {
        let config = try options.load()
        let found: Target
        do {
            guard let named = try config.targets(named: [target]).first else { throw ValidationError("no target '\(target)'") }
            found = named
        } catch {
            throw ValidationError("\(error)")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(directory) is not a directory")
        }
        let keyPath = key ?? found.canary?.keyPath ?? "\(config.stateDirectory)/canary.key"
        let keyBytes: [UInt8]
        do {
            if key == nil { try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true) }
            keyBytes = try Canary.key(at: keyPath, create: key == nil)
        } catch {
            FileHandle.standardError.write(Data("restorecheck: canary key: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        let name = found.canary.map { ($0.entry as NSString).lastPathComponent } ?? ".restorecheck-canary"
        let path = "\(directory)/\(name)"
        do {
            try AtomicFile.write(path, pieces: [Canary(target: found.name, captured: Date()).text(key: keyBytes)])
        } catch {
            FileHandle.standardError.write(Data("restorecheck: canary: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        print(path)
    }
}
