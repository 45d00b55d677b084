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
        abstract: "Each host's last heartbeat, version, locations, config and running tests; the targets no live host tests; the planner and the queue. Exit 1 when a target is unserved or a host's targets differ.")

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
        var view = FleetView(beats: try await registry.nodes(), config: config, now: now)
        view.queue = try await (store as? any FleetQueue)?.queueStatus(now: now)
        if json {
            print(HistoryCommands.encode(view))
        } else {
            var rows = [["NODE", "STATE", "LAST SEEN", "VERSION", "LOCATIONS", "TARGETS", "RUNNING"]]
            for host in view.hosts {
                rows.append([
                    host.beat.node, host.live ? "live" : "stale", TimeSpan.format(max(0, now.timeIntervalSince(host.beat.lastSeen))) + " ago",
                    host.beat.version, host.beat.locations?.joined(separator: ",") ?? "(all)",
                    host.configDiffers ? "DIFFER from this host's" : "same", String(view.queue?.runningByNode[host.beat.node] ?? 0),
                ])
            }
            print(OutcomeTable.align(rows).joined(separator: "\n"))
            if view.hosts.isEmpty { print("no host has recorded a heartbeat (is `restorecheck serve` running with this history?)") }
            for target in view.unserved { print("not tested by any live host: \(target)") }
            if let queue = view.queue { print(Self.describe(queue, now: now)) }
        }
        if !view.unserved.isEmpty || view.hosts.contains(where: { $0.live && $0.configDiffers }) {
            throw ExitCode(ExitStatus.failed)
        }
    }

    /// The queue in a few lines: the planner, what waits by class and tenant, and for how long.
    static func describe(_ queue: FleetQueueStatus, now: Date) -> String {
        let waiting = queue.queuedByPriority.values.reduce(0, +)
        let classes = JobPriority.allCases.map { "\($0.label) \(queue.queuedByPriority[$0.label] ?? 0)" }.joined(separator: ", ")
        var lines = [
            "planner: \(queue.planner ?? "none yet")",
            "queued: \(waiting) (\(classes))"
                + (queue.oldestWaiting.map { ", oldest due \(TimeSpan.format(max(0, now.timeIntervalSince($0)))) ago" } ?? ""),
        ]
        if !queue.queuedByTenant.isEmpty {
            lines.append("queued by tenant: " + queue.queuedByTenant.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
