import Foundation
import Logging
import RestoreCheckCore
import RestoreCheckStore
import ServiceLifecycle
import Synchronization

/// Runs restore tests on schedule: one loop owns the `SchedulerState` and starts tests as child tasks.
///
/// At start it turns history rows left `started` by a dead process into `aborted`, removes leftover
/// scratch directories and prunes old history. On graceful shutdown it starts nothing new, stops
/// running workers (their runs are recorded `aborted`), and returns once they are gone.
public struct SchedulerService: Service {
    let context: DaemonContext

    public init(context: DaemonContext) { self.context = context }

    public func run() async throws {
        let logger = context.logger
        await prepare()
        let config = context.config
        var state = SchedulerState(maxConcurrent: config.maxConcurrent)
        state.configure(config.targetsTestedHere.map { ($0.name, $0.schedule) }, lastStarted: await lastStarted(), now: context.now())
        let cancellations = CancellationRegistry()
        let tickInterval = min(1.0, (context.notifier.watchdogInterval ?? 2) / 2)
        let post = context.post
        var stopping = false

        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    // The ticker: wakes the loop so due tests start and the watchdog is fed.
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(tickInterval))
                        post.yield(.tick)
                    }
                }
                for await event in context.events {
                    switch event {
                    case .tick:
                        // Fed from this loop, so a wedged scheduler stops the pings and systemd restarts us.
                        context.notifier.watchdog()
                    case .reconfigured:
                        let config = context.config
                        state.maxConcurrent = config.maxConcurrent
                        state.configure(config.targetsTestedHere.map { ($0.name, $0.schedule) }, lastStarted: await lastStarted(), now: context.now())
                        logger.info("scheduler reconfigured", metadata: ["targets": "\(config.targetsTestedHere.count)"])
                    case .finished(let target, let started):
                        state.finished(target, started: started, now: context.now())
                    }
                    if cancellations.isShuttingDown {
                        stopping = true
                        if state.running.isEmpty { break }
                        continue
                    }
                    for name in state.takeDue(now: context.now()) {
                        guard let target = context.config.targets.first(where: { $0.name == name }) else {
                            state.finished(name, started: context.now(), now: context.now())
                            continue
                        }
                        let flag = cancellations.add(name)
                        group.addTask { await test(target, flag: flag, cancellations: cancellations) }
                    }
                    updateStatus(state)
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            logger.notice("shutting down: no new tests; stopping running workers")
            context.notifier.stopping()
            cancellations.shutDown()
            post.yield(.tick)
        }
        if stopping { logger.notice("scheduler stopped") }
    }

    /// When each target's newest finished test started; a history that cannot be read plans every
    /// target as never tested (due now), and says so.
    private func lastStarted() async -> [String: Date] {
        do { return try await context.store.lastStarted() } catch {
            context.logger.error("history: cannot read when targets were last tested (\(error)); planning them as due")
            return [:]
        }
    }

    /// Start-up housekeeping after a crash or an unclean stop, before the first test is planned. The
    /// history's writes wait on its own queue and the scratch removal on a thread of its own, so the
    /// cooperative pool stays free meanwhile.
    func prepare() async {
        let config = context.config
        let logger = context.logger
        do {
            let aborted = try await context.store.abortLeftovers()
            if aborted > 0 { logger.warning("history: \(aborted) run(s) left 'started' by a previous process marked aborted") }
            let cutoff = context.now().addingTimeInterval(-Double(config.historyDays) * 86_400)
            let pruned = try await context.store.prune(before: cutoff)
            if pruned > 0 { logger.info("history: pruned \(pruned) run(s) older than \(config.historyDays) days") }
        } catch {
            logger.error("history: start-up maintenance failed: \(error)")
        }
        let scratch = config.scratchDirectory
        let leftovers = await DedicatedThread.run(name: "restorecheck leftover scratch") { ScratchDirectory.removeLeftovers(under: scratch) }
        for path in leftovers.removed {
            logger.warning("removed leftover scratch directory \(path)")
        }
        for failure in leftovers.failures {
            logger.error("cannot remove leftover scratch: \(failure)")
        }
    }

    /// One test, recorded in history and metrics; always reports back to the loop.
    func test(_ target: Target, flag: CancellationFlag, cancellations: CancellationRegistry) async {
        let logger = context.logger
        let started = context.now()
        context.metrics.setRunning(target.name, true)
        logger.info("test started", metadata: ["tenant": "\(target.tenant)", "target": "\(target.name)"])
        let config = context.config
        let runner = RecordedCheckRunner(
            runner: CheckRunner(
                scratchBase: config.scratchDirectory, supervisor: WorkerSupervisor(executable: context.workerExecutable),
                now: context.now),
            store: context.store, origin: "serve", warn: { logger.error("\($0)") })
        let outcome = await runner.check(target, seed: UInt64.random(in: 0...UInt64.max), cancellation: flag)
        context.metrics.setRunning(target.name, false)
        if let outcome {
            context.metrics.record(outcome)
            let metadata: Logger.Metadata = [
                "tenant": "\(target.tenant)", "target": "\(target.name)", "status": "\(outcome.status.rawValue)",
                "reasons": "\(outcome.reasons.map(\.rawValue).joined(separator: ","))",
            ]
            if outcome.status == .passed {
                logger.info("test passed: \(outcome.summary)", metadata: metadata)
            } else {
                logger.warning("test \(outcome.status.rawValue): \(outcome.summary)", metadata: metadata)
            }
        } else {
            logger.notice("test aborted by shutdown", metadata: ["tenant": "\(target.tenant)", "target": "\(target.name)"])
        }
        cancellations.remove(target.name)
        context.post.yield(.finished(target: target.name, started: started))
    }

    func updateStatus(_ state: SchedulerState) {
        if !state.running.isEmpty {
            context.notifier.status("testing \(state.running.sorted().joined(separator: ", "))")
        } else if let next = state.nextWake() {
            context.notifier.status("idle; \(state.nextRun.count) target(s); next test \(next.formatted(.iso8601))")
        }
    }
}

/// The cancellation flags of running tests, so a shutdown can stop them all.
final class CancellationRegistry: Sendable {
    private let flags = Mutex<(byTarget: [String: CancellationFlag], shuttingDown: Bool)>(([:], false))

    func add(_ target: String) -> CancellationFlag {
        let flag = CancellationFlag()
        flags.withLock { state in
            state.byTarget[target] = flag
            if state.shuttingDown { flag.cancel() }
        }
        return flag
    }

    func remove(_ target: String) { flags.withLock { _ = $0.byTarget.removeValue(forKey: target) } }

    func shutDown() {
        flags.withLock { state in
            state.shuttingDown = true
            state.byTarget.values.forEach { $0.cancel() }
        }
    }

    var isShuttingDown: Bool { flags.withLock { $0.shuttingDown } }
}
