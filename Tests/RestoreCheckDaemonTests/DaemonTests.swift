import Foundation
import Logging
import RestoreCheckDaemon
import RestoreCheckMetrics
import RestoreCheckStore
import RestoreCheckTestSupport
import ServiceLifecycle
import Synchronization
import Testing

@testable import RestoreCheckCore

@Suite("The daemon in-process: readiness, watchdog, schedule, reload, shutdown", .serialized)
struct DaemonTests {
    static func configText(archive: String, temp: TemporaryDirectory, targets: [String] = ["fs"]) -> String {
        var text = """
            scratch_dir: \(temp.url("scratch"))
            state_dir: \(temp.url("state"))
            defaults: { rpo: 26h, rto: 4h, every: 1h, jitter: 0s, sample: { files: 5 } }
            targets:

            """
        for name in targets {
            text += "  - { name: \(name), tenant: acme, archives: \(archive), manifest: \"{archive}.sha256\" }\n"
        }
        return text
    }

    @Test func readyAfterBindTestsOnScheduleReloadsAndStops() async throws {
        let temp = TemporaryDirectory("daemon")
        let set = try BackupSet.make(.gnuTarGzip, in: temp)
        let configPath = try temp.write("rc.yaml", Self.configText(archive: set.archive, temp: temp))
        let config = try ConfigLoader().load(path: configPath)
        let notify = try NotifySocket(path: temp.url("notify.sock"))
        let context = DaemonContext(
            config: config, configPath: configPath, store: try HistoryStore(path: config.historyPath),
            metrics: OutcomeMetrics(version: "test"),
            notifier: SystemdNotifier(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"]),
            logger: Logger(label: "daemon-test"), workerExecutable: BuiltBinary.path)
        let port = Mutex(0)
        let group = try await Daemon.makeServiceGroup(
            context: context, listenAddresses: [ListenAddress(host: "127.0.0.1", port: 0)]
        ) { ports in port.withLock { $0 = ports[0] } }

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }

            // READY=1 arrives only once the port is bound: the endpoint answers right after it.
            // Generous bounds: Swift Testing queues every test case on the cooperative pool (one thread
            // per core), so under a busy parallel run the daemon's tasks can wait their turn.
            let readyMessages = try await Blocking.run { notify.waitFor(timeout: 180) { $0.contains("READY=1") } }
            let beforeReady = try #require(readyMessages, "no READY=1")
            #expect(beforeReady.last?.contains("STATUS=serving metrics") == true)
            let url = "http://127.0.0.1:\(port.withLock { $0 })/metrics"
            // Bound: the connection is accepted at once (an unbound port refuses it); the answer may
            // wait for a cooperative thread under the parallel suite, so curl waits up to a minute.
            #expect(try await Blocking.run { Loopback.status(url, maxTime: 60) } == 200)

            // The target is due at start (never tested): its outcome reaches the metrics.
            let success = try await Blocking.run {
                Loopback.eventually(timeout: 180) { Loopback.get(url).flatMap { $0.contains(#"restorecheck_restore_success{tenant="acme",target="fs"} 1.0"#) ? true : nil } }
            }
            #expect(success == true)
            #expect(try await context.store.latestPerTarget().first?.status == .passed)

            // Watchdog pings come from the scheduler loop at half the interval.
            #expect(try await Blocking.run { notify.waitFor(timeout: 60) { $0 == "WATCHDOG=1" } } != nil)

            // An invalid config: logged, old config kept, reload gauge 0, systemd told RELOADING then READY.
            try "targets: [ { name: fs } ]\n".write(toFile: configPath, atomically: true, encoding: .utf8)
            // The reload below runs on this thread and notifies before this test reads again: room
            // for RELOADING=1 and READY=1 first (a slow run let 10 pings fill the queue, and the
            // state changes then waited their 2 s for room and were given up).
            notify.drain()
            #expect(await ReloadService(context: context).reload() == false)
            #expect(context.config.targets.map(\.name) == ["fs"])
            #expect(try await Blocking.run { Loopback.get(url) }?.contains("restorecheck_config_last_reload_successful 0.0") == true)
            #expect(try await Blocking.run { notify.waitFor(timeout: 60) { $0.hasPrefix("RELOADING=1") } } != nil)
            #expect(try await Blocking.run { notify.waitFor(timeout: 60) { $0.hasPrefix("READY=1") } } != nil)

            // A valid config swaps in: the removed target's series vanish, the new one appears.
            try Self.configText(archive: set.archive, temp: temp, targets: ["mail"]).write(toFile: configPath, atomically: true, encoding: .utf8)
            notify.drain()
            #expect(await ReloadService(context: context).reload() == true)
            #expect(context.config.targets.map(\.name) == ["mail"])
            let after = try await Blocking.run { Loopback.get(url) } ?? ""
            #expect(after.contains("restorecheck_config_last_reload_successful 1.0"))
            #expect(!after.contains(#"target="fs""#))
            #expect(after.contains(#"restorecheck_target_info{tenant="acme",target="mail"} 1.0"#))

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func realSIGHUPReloadsTheRunningBinary() async throws {
        try await Blocking.run { try Self.realSIGHUPReloadsTheRunningBinaryBody() }
    }

    static func realSIGHUPReloadsTheRunningBinaryBody() throws {
        let temp = TemporaryDirectory("hup")
        let set = try BackupSet.make(.gnuTar, in: temp)
        let configPath = try temp.write("rc.yaml", Self.configText(archive: set.archive, temp: temp))
        let daemon = try DaemonProcess(config: configPath, in: temp)
        #expect(daemon.waitUntilServing())
        try "targets: [ this is not valid\n".write(toFile: configPath, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(Loopback.eventually { daemon.metrics()?.contains("restorecheck_config_last_reload_successful 0.0") == true ? true : nil } == true)
        #expect(daemon.log.contains("config reload failed; keeping the previous config"))
        #expect(daemon.log.contains("\(configPath):"), "the error names the file: \(daemon.log)")
        #expect(daemon.metrics()?.contains(#"target="fs""#) == true, "still running the old config")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }

    @Test func killMinusNineLeavesHistoryIntactAndTheRestartCleansUp() async throws {
        try await Blocking.run { try Self.killMinusNineLeavesHistoryIntactAndTheRestartCleansUpBody() }
    }

    static func killMinusNineLeavesHistoryIntactAndTheRestartCleansUpBody() throws {
        let temp = TemporaryDirectory("kill9")
        let set = try BackupSet.make(.gnuTar, in: temp)
        let configPath = try temp.write("rc.yaml", Self.configText(archive: set.archive, temp: temp))
        let fake = try FakeWorker.install(FakeWorker.hangs, named: "hanging-worker", in: temp)
        let first = try DaemonProcess(config: configPath, in: temp, environment: ["RESTORECHECK_WORKER_EXECUTABLE": fake])
        #expect(first.waitUntilServing())
        let historyPath = temp.url("state/history.sqlite")
        // Mid-test: the run row says 'started' and the scratch directory exists.
        let started = Loopback.eventually {
            (try? HistoryStore(path: historyPath).latestPerTarget().first?.status) == .started
                && !temp.listing().filter { $0.hasPrefix("scratch/restorecheck-") }.isEmpty ? true : nil
        }
        #expect(started == true)
        first.signal(SIGKILL)
        #expect(first.waitForExit() != nil)
        FakeWorker.killHanging(at: fake)

        let store = try HistoryStore(path: historyPath)
        #expect(try store.integrityCheck() == "ok")
        #expect(!temp.listing().filter { $0.hasPrefix("scratch/restorecheck-") }.isEmpty, "the kill left scratch behind")

        let second = try DaemonProcess(config: configPath, in: temp)
        #expect(second.waitUntilServing())
        let runs = try store.history(target: "fs", limit: 10)
        #expect(runs.last?.status == .aborted, "the interrupted run: \(runs.map(\.status))")
        #expect(second.log.contains("marked aborted"))
        #expect(second.log.contains("removed leftover scratch directory"))
        // The restarted daemon tests again with the real worker and passes.
        #expect(Loopback.eventually { second.metrics()?.contains(#"restorecheck_restore_success{tenant="acme",target="fs"} 1.0"#) == true ? true : nil } == true)
        second.signal(SIGTERM)
        #expect(second.waitForExit() == 0)
    }

    @Test func sigtermStopsARunningTestAndRecordsItAborted() async throws {
        try await Blocking.run { try Self.sigtermStopsARunningTestAndRecordsItAbortedBody() }
    }

    static func sigtermStopsARunningTestAndRecordsItAbortedBody() throws {
        let temp = TemporaryDirectory("term")
        let set = try BackupSet.make(.gnuTar, in: temp)
        let configPath = try temp.write("rc.yaml", Self.configText(archive: set.archive, temp: temp))
        let fake = try FakeWorker.install(FakeWorker.hangs, named: "hanging-worker", in: temp)
        let daemon = try DaemonProcess(config: configPath, in: temp, environment: ["RESTORECHECK_WORKER_EXECUTABLE": fake])
        #expect(daemon.waitUntilServing())
        #expect(Loopback.eventually { daemon.metrics()?.contains(#"restorecheck_run_in_progress{tenant="acme",target="fs"} 1.0"#) == true ? true : nil } == true)
        let start = Date()
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        #expect(Date().timeIntervalSince(start) < 60, "within the unit's TimeoutStopSec=60")
        let runs = try HistoryStore(path: temp.url("state/history.sqlite")).history(target: "fs", limit: 1)
        #expect(runs.first?.status == .aborted)
        #expect(temp.listing().filter { $0.hasPrefix("scratch/restorecheck-") }.isEmpty)
    }

    @Test func theDaemonKeepsServingWhileWorkersCrash() async throws {
        try await Blocking.run { try Self.theDaemonKeepsServingWhileWorkersCrashBody() }
    }

    static func theDaemonKeepsServingWhileWorkersCrashBody() throws {
        let temp = TemporaryDirectory("crashing")
        let set = try BackupSet.make(.gnuTar, in: temp)
        let configPath = try temp.write(
            "rc.yaml", Self.configText(archive: set.archive, temp: temp).replacingOccurrences(of: "every: 1h", with: "every: 1s"))
        let fake = try FakeWorker.install(FakeWorker.segfaults, named: "segfaulting-worker", in: temp)
        let daemon = try DaemonProcess(config: configPath, in: temp, environment: ["RESTORECHECK_WORKER_EXECUTABLE": fake])
        #expect(daemon.waitUntilServing())
        // Several crashed tests later, the endpoint still answers and reports them.
        let failures = Loopback.eventually {
            daemon.metrics().flatMap { text -> Double? in
                let line = text.split(separator: "\n").first { $0.hasPrefix(#"restorecheck_run_failures_total{tenant="acme",target="fs"}"#) }
                return line.flatMap { Double($0.split(separator: " ").last ?? "") }.flatMap { $0 >= 3 ? $0 : nil }
            }
        }
        #expect(failures != nil)
        #expect(daemon.metrics()?.contains(#"restorecheck_restore_success{tenant="acme",target="fs"} 0.0"#) == true)
        #expect(daemon.log.contains("worker_crashed"))
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }
}

@Suite("sd_notify")
struct SystemdNotifierTests {
    /// A notify socket nobody reads fills up (`net.unix.max_dgram_qlen`); a blocking send then hung
    /// the scheduler's thread and with it the daemon's shutdown (seen in CI). Sends must return.
    @Test func aFullNotifySocketNeverBlocksTheSender() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("notify-full")
            let notify = try NotifySocket(path: temp.url("notify.sock"))
            let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": notify.path])
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                for _ in 0..<5_000 { notifier.watchdog() }
                done.signal()
            }
            #expect(done.wait(timeout: .now() + 60) == .success, "5,000 pings to an unread socket did not return")
            // A state change waits a bounded time for room (systemd waits for READY=1), then gives up.
            let stateChange = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                notifier.ready(status: "serving")
                stateChange.signal()
            }
            #expect(stateChange.wait(timeout: .now() + 30) == .success, "READY=1 to a full socket did not return")
            #expect(notify.receive(timeout: 1) == "WATCHDOG=1", "what fitted was delivered")
        }
    }

    @Test func aStateChangeWaitsForRoomRatherThanBeingDropped() throws {
        let temp = TemporaryDirectory("notify-wait")
        let notify = try NotifySocket(path: temp.url("notify.sock"))
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": notify.path])
        for _ in 0..<100 { notifier.watchdog() }  // the queue is full now
        let sent = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            notifier.ready(status: "serving")
            sent.signal()
        }
        // The reader drains the queue within the wait: READY=1 arrives after the pings.
        let seen = notify.waitFor(timeout: 10) { $0.hasPrefix("READY=1") }
        #expect(seen?.last == "READY=1\nSTATUS=serving", "\(seen ?? [])")
        #expect(sent.wait(timeout: .now() + 10) == .success)
    }
}
