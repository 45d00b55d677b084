import ArgumentParser
import Foundation
import RestoreCheckCore
import RestoreCheckStore

/// `restorecheck notify status`: what waits in the notification outbox for each channel, and which
/// breaches are open now (README "Notifications"). Reads the history only; sends nothing.
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "The notification outbox: what waits for each channel, and the breaches open now.",
        subcommands: [Status.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each channel's waiting events and last error, and the breaches open now.")

        @OptionGroup var options: ConfigOptions
        @Flag(help: "Print JSON instead of tables.") var json = false

        /// The JSON shape (a contract: field names are API).
        struct Document: Encodable {
            var channels: [Channel]
            var openBreaches: [OpenBreach]

            struct Channel: Encodable {
                var name: String
                var waiting: Int
                var oldest: Date?
                var lastError: String?
            }

            struct OpenBreach: Encodable {
                var breachId: String
                var tenant: String
                var target: String
                var kind: String
                var opened: Date
                var detail: String
            }
        }

        func run() async throws {
            let config = try options.load()
            let store = try await HistoryCommands.open(config)
            let names = config.notify.map(\.name)
            let backlog = try await store.outboxBacklog(channels: names)
            let open = try await store.openBreaches()
            let document = Document(
                channels: names.map { name in
                    let waiting = backlog[name]
                    return .init(name: name, waiting: waiting?.waiting ?? 0, oldest: waiting?.oldest, lastError: waiting?.lastError)
                },
                openBreaches: open.map {
                    .init(breachId: $0.breachID, tenant: $0.tenant, target: $0.target, kind: $0.kind.rawValue, opened: $0.opened, detail: $0.detail)
                })
            if json {
                print(HistoryCommands.encode(document))
                return
            }
            var channelRows = [["CHANNEL", "WAITING", "OLDEST", "LAST ERROR"]]
            for channel in document.channels {
                channelRows.append([
                    channel.name, String(channel.waiting), channel.oldest.map(ReportFormat.time) ?? "-", channel.lastError ?? "-",
                ])
            }
            print(document.channels.isEmpty
                ? "No notify: channel is configured; events are recorded and wait for one (README \"Notifications\")."
                : OutcomeTable.align(channelRows).joined(separator: "\n"))
            print("")
            var breachRows = [["TENANT", "TARGET", "BREACH", "OPENED", "ID"]]
            for breach in document.openBreaches {
                breachRows.append([breach.tenant, breach.target, breach.kind, ReportFormat.time(breach.opened), breach.breachId])
            }
            print(document.openBreaches.isEmpty ? "No breach is open." : OutcomeTable.align(breachRows).joined(separator: "\n"))
        }
    }
}
