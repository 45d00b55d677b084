import ArgumentParser
import Foundation
import RestoreCheckCore

/// `restorecheck fleet status`: the hosts sharing the history (from their heartbeats), and the
/// targets no live host tests. Only with `history.postgresql`.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet", abstract: "The hosts sharing a PostgreSQL history (README \"Fleet\").", subcommands: [FleetStatusCommand.self])
}

struct FleetStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Each host's last heartbeat, version, locations and config; the targets no live host tests. Exit 1 when a target is unserved or a host's targets differ.")

    @OptionGroup var options: ConfigOptions
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        let config = try options.load()
        guard config.postgresql != nil else {
            FileHandle.standardError.write(Data("restorecheck: fleet status needs history.postgresql: with the SQLite history there is one host\n".utf8))
            throw ExitCode(ExitStatus.usage)
        }
        let store = try await HistoryCommands.open(config)
        defer { store.close() }
        guard let registry = store as? any FleetRegistry else { throw ExitCode(ExitStatus.error) }
        let now = Date()
        let view = FleetView(beats: try await registry.nodes(), config: config, now: now)
        if json {
            print(HistoryCommands.encode(view))
        } else {
            var rows = [["NODE", "STATE", "LAST SEEN", "VERSION", "LOCATIONS", "TARGETS"]]
            for host in view.hosts {
                rows.append([
                    host.beat.node, host.live ? "live" : "stale", TimeSpan.format(max(0, now.timeIntervalSince(host.beat.lastSeen))) + " ago",
                    host.beat.version, host.beat.locations?.joined(separator: ",") ?? "(all)",
                    host.configDiffers ? "DIFFER from this host's" : "same",
                ])
            }
            print(OutcomeTable.align(rows).joined(separator: "\n"))
            if view.hosts.isEmpty { print("no host has recorded a heartbeat (is `restorecheck serve` running with this history?)") }
            for target in view.unserved { print("not tested by any live host: \(target)") }
        }
        if !view.unserved.isEmpty || view.hosts.contains(where: { $0.live && $0.configDiffers }) {
            throw ExitCode(ExitStatus.failed)
        }
    }
}
