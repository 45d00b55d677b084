import Foundation
import Logging
import RestoreCheckCore
import RestoreCheckMetrics
import ServiceLifecycle
import Synchronization

/// In a fleet (a PostgreSQL history: README "Fleet"), runs the tests the fleet's queue gives this
/// node, in place of `SchedulerService`'s own plan. One loop, woken every `poll`, whenever a test
/// ends (its slot is free) and at shutdown:
///
/// 1. the planner's round, if this node holds the planner's lock (`FleetPlanning`);
/// 2. every third of the lease, renewal of this node's leases and reaping of every expired one
///    (any node reaps: a dead node's jobs must not wait for the planner). A job the queue no
///    longer gives this node (reaped after a pause), or a lease it could not renew for a whole
///    lease (cut off from the database), stops its test, whose result would be fenced anyway;
/// 3. claims for the free slots (`fleet.max_concurrent`), each test a child task recording through
///    the claim's `FencedRecorder`.
///
/// systemd's watchdog is fed while the loop goes round (a round may wait out the database's
/// retries, 90 s; a loop silent for longer is wedged). On shutdown it claims nothing more, stops its
/// tests (their jobs go back to the queue) and lets the planner's lock go.
struct FleetSchedulerService: Service {
    let context: DaemonContext
    let queue: any FleetQueue

    func run() async throws {
        let logger = context.logger
        await SchedulerService(context: context).prepare()
        do {
            let requeued = try await queue.requeueOwnJobs(now: context.now())
            for job in requeued { logger.warning("fleet: job \(job.jobID) (\(job.target)) held by this node before it restarted is queued again") }
        } catch {
            logger.error("fleet: cannot queue again the jobs this node held before it restarted (their leases will run out): \(error)")
        }
        let node = context.metrics.fleetNode(context.config.nodeName)
        let lock = queue.plannerLock()
        let running = RunningJobs()
        let cancellations = CancellationRegistry()
        let loopAlive = LoopProgress(context.now())
        var planning = FleetPlanning(context: context, queue: queue, metrics: node)
        // What wakes the loop: its poll, a finished test (its slot is free: claim now) and shutdown.
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wake.yield()

        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    // The watchdog's ticker: pings while the loop below keeps going round.
                    while !Task.isCancelled {
                        if context.now().timeIntervalSince(loopAlive.last) < Self.wedgedAfter { context.notifier.watchdog() }
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(Self.poll(lease: context.config.fleet.lease.seconds)))
                        wake.yield()
                    }
                }
                var lastRenewal = context.now()
                for await _ in wakes {
                    if cancellations.isShuttingDown { break }
                    loopAlive.went(at: context.now())
                    let config = context.config
                    let lease = config.fleet.lease.seconds
                    let holds = await lock.hold()
                    node.setPlanner(holds)
                    if holds { await planning.round(config: config) }
                    if context.now().timeIntervalSince(lastRenewal) >= lease / 3 {
                        await renew(running, lease: lease, metrics: node)
                        await reap(metrics: node)
                        lastRenewal = context.now()
                    }
                    let free = config.concurrentTestsHere - running.count
                    if free > 0, !cancellations.isShuttingDown {
                        do {
                            let claims = try await queue.claim(
                                locations: config.fleet.locations, known: config.targetsTestedHere.map(\.name), limit: free,
                                perTenant: config.fleet.perTenant, lease: lease, now: context.now())
                            node.claimed(claims.count)
                            for claim in claims {
                                let flag = cancellations.add(String(claim.jobID))
                                running.add(claim, flag: flag, at: context.now())
                                node.setRunning(running.count)
                                group.addTask {
                                    await test(claim, flag: flag, metrics: node)
                                    running.remove(claim)
                                    cancellations.remove(String(claim.jobID))
                                    node.setRunning(running.count)
                                    wake.yield()
                                }
                            }
                        } catch {
                            node.databaseError()
                            logger.error("fleet: cannot claim jobs: \(error)")
                        }
                    }
                    updateStatus(running)
                }
                // Shutting down: the tests' cancellation flags are set; wait for them to give their jobs back.
                while running.count > 0, await group.next() != nil {}
                group.cancelAll()
                wake.finish()
            }
        } onGracefulShutdown: {
            logger.notice("shutting down: no new claims; stopping running tests (their jobs go back to the queue)")
            context.notifier.stopping()
            cancellations.shutDown()
            wake.yield()
        }
        await lock.release()
        logger.notice("fleet scheduler stopped")
    }

    /// How often the loop goes round: often enough to claim promptly and renew a third of a lease
    /// in time, never busier than twice a second.
    static func poll(lease: TimeInterval) -> TimeInterval { min(5, max(0.5, lease / 6)) }

    /// A loop silent this long is wedged (longer than a database call's retries, `Reconnect`).
    static let wedgedAfter: TimeInterval = 150

    /// Renews every running claim's lease. A claim the queue no longer gives this node, or one not
    /// renewed for a whole lease, stops its test: its result would be refused (fenced) anyway.
    private func renew(_ running: RunningJobs, lease: TimeInterval, metrics: FleetNodeMetrics) async {
        let held = running.all
        guard !held.isEmpty else { return }
        let now = context.now()
        do {
            let kept = try await queue.renew(held.map(\.claim), lease: lease, now: now)
            for job in held where !kept.contains(job.claim.jobID) {
                stop(job, because: "its lease was lost (another node may run it)", metrics: metrics)
            }
            running.renewed(kept, at: now)
        } catch {
            metrics.databaseError()
            context.logger.error("fleet: cannot renew the leases of \(held.count) running test(s): \(error)")
            for job in held where now.timeIntervalSince(job.renewed) > lease {
                stop(job, because: "its lease could not be renewed for \(TimeSpan(seconds: lease)) (the database is unreachable)", metrics: metrics)
            }
        }
    }

    /// Queues again the jobs whose lease ran out (their node died, hung or lost the database).
    private func reap(metrics: FleetNodeMetrics) async {
        do {
            for job in try await queue.reapExpiredLeases(now: context.now()) {
                context.logger.warning("fleet: the lease of job \(job.jobID) (\(job.target), attempt \(job.attempt), node \(job.node)) ran out; queued again")
            }
        } catch {
            metrics.databaseError()
            context.logger.error("fleet: cannot reap expired leases: \(error)")
        }
    }

    private func stop(_ job: RunningJobs.Job, because reason: String, metrics: FleetNodeMetrics) {
        guard !job.flag.isCancelled else { return }
        metrics.leaseLost()
        context.logger.warning("fleet: stopping the test of \(job.claim.tenant)/\(job.claim.target): \(reason)")
        job.flag.cancel()
    }

    /// One claimed test, recorded through the claim's fenced recorder.
    private func test(_ claim: JobClaim, flag: CancellationFlag, metrics: FleetNodeMetrics) async {
        let logger = context.logger
        let config = context.config
        let metadata: Logger.Metadata = ["tenant": "\(claim.tenant)", "target": "\(claim.target)", "job": "\(claim.jobID)", "attempt": "\(claim.attempt)"]
        guard let target = config.targets.first(where: { $0.name == claim.target }) else {
            // The planner's config has a target this node's has not (config drift): another node may run it.
            logger.error("fleet: job \(claim.jobID) is for target \(claim.target), which this node's config does not have; giving it back", metadata: metadata)
            try? await queue.giveBack(claim, runID: nil, at: context.now())
            return
        }
        context.metrics.setRunning(target.name, true)
        logger.info("test started (\(claim.priority.label))", metadata: metadata)
        let runner = RecordedCheckRunner(
            runner: CheckRunner(
                scratchBase: config.scratchDirectory, supervisor: WorkerSupervisor(executable: context.workerExecutable), now: context.now),
            store: FencedRecorder(queue: queue, claim: claim, fenced: { metrics.fenced() }), origin: "serve", warn: { logger.error("\($0)") })
        let outcome = await runner.check(target, seed: UInt64.random(in: 0...UInt64.max), cancellation: flag)
        context.metrics.setRunning(target.name, false)
        if let outcome {
            context.metrics.record(outcome)
            logger.log(
                level: outcome.status == .passed ? .info : .warning, "test \(outcome.status.rawValue): \(outcome.summary)",
                metadata: metadata.merging(["status": "\(outcome.status.rawValue)"]) { $1 })
        } else {
            logger.notice("test stopped before it finished", metadata: metadata)
        }
    }

    private func updateStatus(_ running: RunningJobs) {
        let targets = running.all.map(\.claim.target).sorted()
        context.notifier.status(targets.isEmpty ? "fleet node: idle" : "fleet node: testing \(targets.joined(separator: ", "))")
    }
}

/// The claims this node is running, shared by the loop and the tests' tasks.
final class RunningJobs: Sendable {
    struct Job: Sendable {
        var claim: JobClaim
        var flag: CancellationFlag
        /// When its lease was last renewed (this node's clock: only compared with itself).
        var renewed: Date
    }

    private let jobs = Mutex<[Int64: Job]>([:])

    func add(_ claim: JobClaim, flag: CancellationFlag, at date: Date) { jobs.withLock { $0[claim.jobID] = Job(claim: claim, flag: flag, renewed: date) } }
    func remove(_ claim: JobClaim) { jobs.withLock { _ = $0.removeValue(forKey: claim.jobID) } }
    var count: Int { jobs.withLock { $0.count } }
    var all: [Job] { jobs.withLock { Array($0.values) } }

    func renewed(_ ids: Set<Int64>, at date: Date) {
        jobs.withLock { jobs in
            for id in ids { jobs[id]?.renewed = date }
        }
    }
}

/// When the loop last went round (the watchdog's ticker reads it).
final class LoopProgress: Sendable {
    private let date: Mutex<Date>

    init(_ date: Date) { self.date = Mutex(date) }

    var last: Date { date.withLock { $0 } }
    func went(at now: Date) { date.withLock { $0 = now } }
}
