import ArgumentParser
import Dispatch
import Foundation
import Glibc
import RestoreCheckCore
import UnixSignals
import RestoreCheckDaemon
import RestoreCheckMetrics
import RestoreCheckStore

/// `restorecheck run [TARGET...]`: test targets now and exit with a code a cron job or CI can act on.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Restore-test the configured targets now (all, or the ones named) and report.",
        discussion: """
            Exit codes: 0 every target passed, 1 at least one target failed, 2 usage or \
            configuration error, 3 at least one test could not be carried out (error) and none \
            failed, 130 interrupted (scratch is removed first).
            """)

    @OptionGroup var options: ConfigOptions

    @Flag(help: "Print the results as JSON instead of a table.")
    var json = false

    @Option(help: "Seed for the random sample, to reproduce a run (printed in --json as 'seed').")
    var seed: UInt64?

    @Option(help: "Also write the metrics to DIR/restorecheck.prom for node_exporter's textfile collector.")
    var textfileDir: String?

    @Flag(help: "Queue the tests in the fleet's queue (history.postgresql) as run-now jobs and wait for the fleet's results, instead of testing on this host.")
    var fleet = false

    @Argument(help: "Target names to test (default: every target).")
    var targets: [String] = []

    func run() async throws {
        let config = try options.load()
        let selected: [Target]
        do {
            // Without names: the targets this host tests (all of them, unless fleet.locations).
            selected = targets.isEmpty ? config.targetsTestedHere : try config.targets(named: targets)
        } catch {
            FileHandle.standardError.write(Data("restorecheck: \(error)\n".utf8))
            throw ExitCode(ExitStatus.usage)
        }
        // SIGINT/SIGTERM set the cancellation flag instead of killing us, so the worker is stopped and
        // scratch removed before exit. Trapped through swift-service-lifecycle's UnixSignals, as the
        // daemon's shutdown and reload signals are: one way of handling signals in the binary. The
        // sequence is made here, before the first test, so no signal falls between.
        let cancellation = CancellationFlag()
        let interrupts = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let watcher = Task {
            for await _ in interrupts { cancellation.cancel() }
        }
        defer { watcher.cancel() }
        if fleet {
            let summary = try await FleetRun.run(config: config, targets: targets.isEmpty ? config.targets : selected, cancellation: cancellation)
            print(json ? summary.json() : OutcomeTable.render(summary), terminator: json ? "\n" : "")
            throw ExitCode(summary.exitCode)
        }

        let store = await Self.openHistory(config)
        if let store, !config.notify.isEmpty {
            // Before any test, so the events this run records reach a channel configured just now.
            do { try await store.registerChannels(config.notify.map(\.name)) } catch { Self.warn("notify: \(error)") }
        }
        let runner = RecordedCheckRunner(
            runner: CheckRunner(scratchBase: config.scratchDirectory, supervisor: WorkerSupervisor(executable: Self.executablePath())),
            store: store, origin: "run",
            warn: { FileHandle.standardError.write(Data("restorecheck: \($0)\n".utf8)) })
        let seed = self.seed ?? UInt64.random(in: 0...UInt64.max)
        let progressLine = ProgressLine(enabled: !json && isatty(1) == 1 && isatty(2) == 1)
        var outcomes: [Outcome] = []
        for target in selected {
            guard let outcome = await runner.check(target, seed: seed, cancellation: cancellation, progress: progressLine.show)
            else { break }
            progressLine.clear()
            outcomes.append(outcome)
        }
        progressLine.clear()
        let summary = RunSummary(results: outcomes)
        if cancellation.isCancelled {
            FileHandle.standardError.write(Data("restorecheck: interrupted; scratch removed\n".utf8))
            throw ExitCode(ExitStatus.interrupted)
        }
        print(json ? summary.json() : OutcomeTable.render(summary), terminator: json ? "\n" : "")
        if let store { await Self.notify(config: config, store: store) }
        if let textfileDir {
            do {
                try await TextfileExporter.write(config: config, store: store, outcomes: outcomes, directory: textfileDir)
            } catch {
                FileHandle.standardError.write(Data("restorecheck: --textfile-dir: \(error)\n".utf8))
                throw ExitCode(ExitStatus.error)
            }
        }
        throw ExitCode(summary.exitCode)
    }

    /// Records the breaches time alone opened, then sends what the outbox holds, once each (a
    /// receiver that does not answer costs at most the request timeout); what is not delivered
    /// stays in the outbox for the next `run` or `serve`.
    static func notify(config: Config, store: any HistoryDatabase) async {
        do {
            try await store.refreshBreaches(config.targets.map(WatchedTarget.init), now: Date())
        } catch {
            warn("notify: cannot update the outbox: \(error)")
        }
        guard !config.notify.isEmpty else { return }
        let tally = await EventDelivery(outbox: store, channels: config.notify, smtp: config.smtp, log: { warn($0) }).deliverDue(ignoringBackoff: true)
        if tally.failed > 0 {
            warn("notify: not every event was delivered (\(tally.waitingChannels.joined(separator: ", "))); they stay in the outbox for the next run or serve")
        }
    }

    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("restorecheck: \(message)\n".utf8))
    }

    /// The shared history, or nil (with a warning) when `state_dir` is not usable: an on-demand test
    /// must still run when, say, an operator without write access to /var/lib runs it.
    static func openHistory(_ config: Config) async -> (any HistoryDatabase)? {
        do {
            return try await HistoryOpener.open(config)
        } catch {
            FileHandle.standardError.write(Data("restorecheck: history unavailable (\(config.historyLocation)): \(error); results are not recorded\n".utf8))
            return nil
        }
    }

    /// This binary, which is also the restore worker. `RESTORECHECK_WORKER_EXECUTABLE` replaces it
    /// (for tests that need a worker which hangs or crashes on cue; not for production use).
    static func executablePath() -> String {
        if let override = ProcessInfo.processInfo.environment["RESTORECHECK_WORKER_EXECUTABLE"], !override.isEmpty {
            return override
        }
        return (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// A single self-overwriting status line on stderr while a target is tested (terminals only).
struct ProgressLine: Sendable {
    let enabled: Bool

    func show(_ progress: CheckRunner.Progress) {
        guard enabled else { return }
        let share = progress.archiveBytes > 0 ? Double(progress.archiveBytesRead) / Double(progress.archiveBytes) * 100 : 0
        let rate = progress.elapsedSeconds > 0 ? Double(progress.archiveBytesRead) / progress.elapsedSeconds : 0
        let text = "\(progress.target): read \(ByteCount.format(progress.archiveBytesRead)) of \(ByteCount.format(progress.archiveBytes)) (\(Int(share))%), restored \(ByteCount.format(progress.bytesRestored)), \(ByteCount.format(Int64(rate)))/s"
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }

    func clear() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
