import ArgumentParser
import Foundation
import RestoreCheckCore
import RestoreCheckReport
import RestoreCheckStore

/// `restorecheck check`: a monitoring plugin (Nagios/Monitoring Plugins convention) over the local
/// history; the rules are `MonitoringCheck`'s. Every failure of the check itself, a bad option
/// included, is UNKNOWN (exit 3), never the usage exit 2 of the other commands, which a monitoring
/// system would read as WARNING... CRITICAL.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Monitoring plugin: the targets' state from the history (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).",
        discussion: """
            CRITICAL: never verified, verified restore point older than the RPO, or the last test \
            failed. WARNING: the last test was an error, or no test finished for 7 days. \
            One status line with performance data ('age'=<seconds>s;;<rpo>;0), then one line per \
            target. Reads the history only; it starts no test.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "Only this tenant's targets.") var tenant: String?
    @Option(help: "Only this target.") var target: String?

    func run() async throws {
        do {
            let (status, output) = try await check()
            print(output)
            throw ExitCode(status.rawValue)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw Self.unknown("\(error)")
        }
    }

    private func check() async throws -> (MonitoringCheck.State, String) {
        let config: Config
        do {
            config = try ConfigLoader().load(path: options.config)
        } catch {
            throw Self.unknown("config error: \(error)")
        }
        let targets = config.targets.filter { (tenant == nil || $0.tenant == tenant) && (target == nil || $0.name == target) }
        guard !targets.isEmpty else {
            throw Self.unknown("no target matches" + [tenant.map { " tenant '\($0)'" }, target.map { " target '\($0)'" }].compactMap { $0 }.joined(separator: " and "))
        }
        // The history is the service user's (its directory 0750, SQLite's WAL files 0600 under the
        // unit's UMask): a monitoring agent runs the check as that user (README "Monitoring plugin").
        let asUser = "run the check as the service user, e.g. sudo -u restorecheck restorecheck check"
        guard HistoryOpener.readable(config) else {
            throw Self.unknown("no readable history at \(config.historyLocation) (no test recorded yet, or not readable by this user: \(asUser))")
        }
        let store: any HistoryDatabase
        let latest: [String: RunRecord]
        let verified: [String: VerifiedRestorePoint]
        do {
            store = try await HistoryOpener.open(config)
            latest = Dictionary(try await store.latestPerTarget().map { ($0.target, $0) }, uniquingKeysWith: { first, _ in first })
            verified = try await store.verifiedRestorePoints()
        } catch {
            throw Self.unknown("cannot read the history at \(config.historyLocation): \(error) (\(asUser))")
        }
        let now = Date()
        let rules = MonitoringCheck()
        var states: [MonitoringCheck.TargetState] = []
        for target in targets {
            var last = latest[target.name]
            // A test running now (or stopped) says nothing yet: judge by the newest finished one.
            if let running = last, running.status == .started || running.status == .aborted {
                last = try await store.history(target: target.name, limit: 50).first { $0.status != .started && $0.status != .aborted }
            }
            states.append(rules.judge(target, lastFinished: last, verified: verified[target.name], now: now))
        }
        let rendered = MonitoringCheck.render(states)
        return (rendered.status, rendered.output)
    }

    /// UNKNOWN, with the reason on the status line (monitoring systems show stdout, not stderr).
    static func unknown(_ reason: String) -> ExitCode {
        print("RESTORECHECK UNKNOWN - " + UntrustedText.visible(reason))
        return ExitCode(MonitoringCheck.State.unknown.rawValue)
    }
}
