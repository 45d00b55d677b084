import Foundation
import RestoreCheckCore
import RestoreCheckPostgres
import RestoreCheckStoreTestSupport
import RestoreCheckTestSupport
import Testing

/// The fleet's job queue against a real PostgreSQL: each job claimed once across nodes, in priority
/// order, within the tenant cap and the nodes' locations; a lost lease fenced; a job nobody starts
/// recorded, never silence; one planner at a time.
@Suite("Fleet queue on PostgreSQL: claims, fencing, not started, planner lock")
struct FleetQueueTests {
    typealias H = SyntheticHistory

    /// Three nodes on one database (`node-a`, `node-b`, `node-c`).
    func nodes(_ label: String) async throws -> (OpenHistory, [PostgresHistory]) {
        let history = try await HistoryBackend.postgresql.open(label, node: "node-a")
        let a = try #require(history.store as? PostgresHistory)
        let b = try #require(try await history.reopen(node: "node-b") as? PostgresHistory)
        let c = try #require(try await history.reopen(node: "node-c") as? PostgresHistory)
        return (history, [a, b, c])
    }

    func target(_ name: String, tenant: String = "acme", location: String? = nil, every: Double = 86_400) -> Target {
        var target = Target(
            name: name, tenant: tenant, archiveGlob: "/srv/\(name)/*.tar", manifestTemplate: nil, rpo: TimeSpan(seconds: 93_600),
            rto: TimeSpan(seconds: 3_600), schedule: Schedule(every: TimeSpan(seconds: every)))
        target.location = location
        return target
    }

    func job(_ name: String, tenant: String = "acme", location: String? = nil, _ priority: JobPriority = .scheduled, dueAgo: Double = 60) -> DueJob {
        let due = Date().addingTimeInterval(-dueAgo)
        return DueJob(target: name, tenant: tenant, location: location, priority: priority, due: due, startBy: due.addingTimeInterval(86_400))
    }

    @Test func threeNodesClaimingAtOnceTakeEachJobExactlyOnce() async throws {
        let (history, nodes) = try await nodes("queue-once")
        defer { history.close(); nodes.dropFirst().forEach { $0.close() } }
        let jobs = (0..<60).map { job("t\($0)", tenant: "tenant\($0)") }
        #expect(try await nodes[0].enqueue(jobs, now: Date()) == 60)
        #expect(try await nodes[1].enqueue(jobs, now: Date()) == 0, "a target already waiting keeps its one job")
        let claimed = try await withThrowingTaskGroup(of: [JobClaim].self) { group in
            for node in nodes {
                group.addTask {
                    var mine: [JobClaim] = []
                    while true {
                        let claims = try await node.claim(locations: nil, known: nil, limit: 3, perTenant: 1, lease: 60, now: Date())
                        if claims.isEmpty { return mine }
                        mine += claims
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(claimed.count == 60)
        #expect(Set(claimed.map(\.target)).count == 60, "no job was claimed twice")
        #expect(claimed.allSatisfy { $0.attempt == 1 })
        #expect(try await nodes[0].queueStatus(now: Date()).runningByNode.values.reduce(0, +) == 60)
    }

    @Test func claimsTakeTheMostUrgentClassFirstThenTheEarliestDue() async throws {
        let (history, nodes) = try await nodes("queue-order")
        defer { history.close(); nodes.dropFirst().forEach { $0.close() } }
        _ = try await nodes[0].enqueue(
            [
                job("backfill", tenant: "t1", .coverage, dueAgo: 9_000), job("late", tenant: "t2", .scheduled, dueAgo: 600),
                job("early", tenant: "t3", .scheduled, dueAgo: 3_600), job("breached", tenant: "t4", .overdue, dueAgo: 10),
                job("future", tenant: "t5", .overdue, dueAgo: -3_600),
            ], now: Date())
        _ = try await nodes[0].requestNow([target("asked", tenant: "t6")], now: Date())
        var order: [String] = []
        while let claim = try await nodes[1].claim(locations: nil, known: nil, limit: 1, perTenant: 1, lease: 60, now: Date()).first {
            order.append(claim.target)
        }
        #expect(order == ["asked", "breached", "early", "late", "backfill"], "a job due in the future waits")
        let status = try await nodes[0].queueStatus(now: Date())
        #expect(status.queuedByPriority == ["overdue": 1])
    }

    @Test func oneTenantNeverHoldsMoreThanItsCapAcrossTheFleet() async throws {
        let (history, nodes) = try await nodes("queue-tenant")
        defer { history.close(); nodes.dropFirst().forEach { $0.close() } }
        let noisy = (0..<12).map { job("noisy\($0)", tenant: "noisy", dueAgo: 600) }
        _ = try await nodes[0].enqueue(noisy + [job("quiet", tenant: "quiet", dueAgo: 1)], now: Date())
        let claimed = try await withThrowingTaskGroup(of: [JobClaim].self) { group in
            for node in nodes { group.addTask { try await node.claim(locations: nil, known: nil, limit: 4, perTenant: 2, lease: 60, now: Date()) } }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(claimed.count { $0.tenant == "noisy" } <= 2, "\(claimed.map(\.target))")
        // The quiet tenant's one job is not starved by the noisy tenant's twelve older ones.
        let next = try await nodes[0].claim(locations: nil, known: nil, limit: 4, perTenant: 2, lease: 60, now: Date())
        #expect((claimed + next).contains { $0.target == "quiet" })
        #expect((claimed + next).count { $0.tenant == "noisy" } == 2)
    }

    @Test func aNodeClaimsOnlyTheTargetsOfItsLocations() async throws {
        let (history, nodes) = try await nodes("queue-location")
        defer { history.close(); nodes.dropFirst().forEach { $0.close() } }
        _ = try await nodes[0].enqueue(
            [job("fra-fs", location: "fra1", dueAgo: 90), job("ams-fs", tenant: "b", location: "ams1", dueAgo: 80), job("anywhere", tenant: "c", dueAgo: 70)],
            now: Date())
        #expect(try await nodes[0].claim(locations: ["lon1"], known: nil, limit: 1, perTenant: 5, lease: 60, now: Date()).map(\.target) == ["anywhere"],
                "a target without a location runs on any node")
        #expect(try await nodes[0].claim(locations: ["lon1"], known: nil, limit: 5, perTenant: 5, lease: 60, now: Date()).isEmpty)
        #expect(try await nodes[1].claim(locations: ["fra1"], known: nil, limit: 5, perTenant: 5, lease: 60, now: Date()).map(\.target) == ["fra-fs"])
        #expect(try await nodes[2].claim(locations: nil, known: nil, limit: 5, perTenant: 5, lease: 60, now: Date()).map(\.target) == ["ams-fs"])
    }

    @Test func aNodeClaimsOnlyTargetsItsConfigHas() async throws {
        let (history, nodes) = try await nodes("queue-known")
        defer { history.close(); nodes.dropFirst().forEach { $0.close() } }
        // The planner's config gained a target this node's has not yet: the job is left to the others.
        _ = try await nodes[0].enqueue([job("new-target", dueAgo: 90), job("fs", tenant: "b", dueAgo: 10)], now: Date())
        #expect(try await nodes[1].claim(locations: ["fra1"], known: ["fs"], limit: 5, perTenant: 5, lease: 60, now: Date()).map(\.target) == ["fs"])
        #expect(try await nodes[2].claim(locations: ["fra1"], known: ["fs", "new-target"], limit: 5, perTenant: 5, lease: 60, now: Date()).map(\.target) == ["new-target"])
    }

    @Test func aNodeThatLostItsLeaseWritesNothingAndTheJobEndsOnceElsewhere() async throws {
        let (history, nodes) = try await nodes("queue-fence")
        defer { history.close(); nodes.dropFirst().forEach { $0.close() } }
        let (paused, other) = (nodes[0], nodes[1])
        _ = try await paused.enqueue([job("fs")], now: Date())
        let first = try #require(try await paused.claim(locations: nil, known: nil, limit: 1, perTenant: 1, lease: 1, now: Date()).first)
        let firstRun = try await paused.beginRun(first, started: Date(), origin: "serve")
        // The node is paused past its lease: another node reaps the job (a deadline poll on the
        // database's clock, not a fixed sleep) and claims it again.
        let reaped = try await eventually { let reaped = try await other.reapExpiredLeases(now: Date()); return reaped.isEmpty ? nil : reaped }
        #expect(reaped == [ReapedJob(jobID: first.jobID, target: "fs", attempt: 1, node: "node-a")])
        #expect(try await paused.renew([first], lease: 60, now: Date()).isEmpty, "the lease is gone: renewal says so")
        let second = try #require(try await other.claim(locations: nil, known: nil, limit: 1, perTenant: 1, lease: 60, now: Date()).first)
        #expect(second.jobID == first.jobID && second.attempt == 2)
        let secondRun = try await other.beginRun(second, started: Date(), origin: "serve")
        // The paused node wakes with a finished test: refused, and nothing of it is written.
        await #expect(throws: FencedWriteError.self) { try await paused.complete(first, runID: firstRun, outcome: H.outcome("fs", H.Test(day: 0))) }
        try await other.complete(second, runID: secondRun, outcome: H.outcome("fs", H.Test(day: 0, status: .failed)))
        // A retry after a lost COMMIT is recognised, not doubled.
        try await other.complete(second, runID: secondRun, outcome: H.outcome("fs", H.Test(day: 0, status: .failed)))
        let runs = try await paused.history(target: "fs", limit: 10)
        #expect(Set(runs.map(\.status)) == [.aborted, .failed] && runs.count == 2, "one result, the lost attempt aborted: \(runs.map(\.status))")
        #expect(try await paused.findings(runID: firstRun).isEmpty)
        #expect(try await paused.job(first.jobID)?.state == .done)
        let check = try await history.verify()
        #expect(check.isIntact && check.entriesChecked == 2, "\(check.problems)")
    }

    @Test func aShutdownGivesTheJobBackAndARestartedNodeRequeuesWhatItHeld() async throws {
        let (history, nodes) = try await nodes("queue-giveback")
        defer { history.close(); nodes.dropFirst().forEach { $0.close() } }
        _ = try await nodes[0].enqueue([job("fs"), job("db", tenant: "b")], now: Date())
        let claims = try await nodes[0].claim(locations: nil, known: nil, limit: 2, perTenant: 1, lease: 600, now: Date())
        let run = try await nodes[0].beginRun(claims[0], started: Date(), origin: "serve")
        try await nodes[0].giveBack(claims[0], runID: run, at: Date())
        #expect(try await nodes[0].job(claims[0].jobID)?.state == .queued)
        // The node restarts: the job it still held cannot be running any more.
        let restarted = try #require(try await history.reopen(node: "node-a") as? PostgresHistory)
        defer { restarted.close() }
        #expect(try await restarted.requeueOwnJobs(now: Date()).map(\.target) == [claims[1].target])
        let again = try await nodes[1].claim(locations: nil, known: nil, limit: 2, perTenant: 1, lease: 600, now: Date())
        #expect(Set(again.map(\.target)) == ["fs", "db"] && again.allSatisfy { $0.attempt == 2 })
        #expect(try await nodes[0].history(target: claims[0].target, limit: 5).map(\.status) == [.aborted])
    }

    @Test func aJobNobodyStartsBecomesANotStartedErrorThatSaysWhy() async throws {
        let (history, nodes) = try await nodes("queue-not-started")
        defer { history.close(); nodes.dropFirst().forEach { $0.close() } }
        let now = Date()
        try await nodes[1].beat(NodeBeat(node: "node-b", version: "t", targetsDigest: "", locations: ["fra1"], started: now, lastSeen: now))
        let pinned = target("london-fs", location: "lon1")
        let busy = target("fra-fs", tenant: "b", location: "fra1")
        let expired = { (name: String, tenant: String, location: String) in
            DueJob(target: name, tenant: tenant, location: location, priority: .scheduled, due: now.addingTimeInterval(-7_200), startBy: now.addingTimeInterval(-3_600))
        }
        _ = try await nodes[0].enqueue([expired("london-fs", "acme", "lon1"), expired("fra-fs", "b", "fra1"), job("fresh", tenant: "c")], now: now)
        let gone = try await nodes[0].expireUnstarted(now: now, targets: [pinned, busy, target("fresh", tenant: "c")])
        #expect(Set(gone) == ["london-fs", "fra-fs"])
        let london = try #require(try await nodes[0].history(target: "london-fs", limit: 5).first)
        #expect(london.status == .error && london.reasons == ["not_started"])
        #expect(london.outcome?.summary == "not started within its start window (1h0m): no live node serves location 'lon1'")
        let fra = try #require(try await nodes[0].history(target: "fra-fs", limit: 5).first?.outcome)
        #expect(fra.summary.hasSuffix("the nodes that may test it were busy (node-b)"), "\(fra.summary)")
        #expect(try await nodes[0].openJobs() == ["fresh"])
        let check = try await history.verify()
        #expect(check.isIntact && check.entriesChecked == 2, "chained like any result: \(check.problems)")
    }

    @Test func aRunNowRequestRaisesTheWaitingJobAndASupersededJobPointsAtIt() async throws {
        let (history, nodes) = try await nodes("queue-run-now")
        defer { history.close(); nodes.dropFirst().forEach { $0.close() } }
        _ = try await nodes[0].enqueue([job("fs", .scheduled)], now: Date())
        let claim = try #require(try await nodes[0].claim(locations: nil, known: nil, limit: 1, perTenant: 1, lease: 600, now: Date()).first)
        // An operator asks while it runs: a second, waiting job.
        let asked = try await nodes[1].requestNow([target("fs")], now: Date())
        #expect(asked.count == 1 && asked[0] != claim.jobID)
        #expect(try await nodes[1].requestNow([target("fs")], now: Date()) == asked, "asked twice: still one waiting job")
        // The running job is given back while the asked one waits: it ends, pointing at it.
        try await nodes[0].giveBack(claim, runID: nil, at: Date())
        let ended = try await nodes[0].job(claim.jobID)
        #expect(ended?.state == .done && ended?.supersededBy == asked[0])
        #expect(try await nodes[0].queueStatus(now: Date()).queuedByPriority == ["run-now": 1])
    }

    @Test func onePlannerAtATimeAndAnotherTakesOverWhenItsSessionEnds() async throws {
        let (history, nodes) = try await nodes("queue-planner")
        defer { history.close(); nodes.dropFirst().forEach { $0.close() } }
        let (a, b) = (nodes[0].plannerLock(), nodes[1].plannerLock())
        #expect(await a.hold())
        #expect(await !b.hold(), "one planner")
        #expect(await a.hold(), "still held, checked")
        // The planner's session dies (its node crashed): the server frees the lock.
        try await history.tamper(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = \(0x6C61_6E72) AND classid = \(0x72_6370)")
        let tookOver = try await eventually { await b.hold() ? true : nil }
        #expect(tookOver == true)
        #expect(await !a.hold(), "the old planner learns it lost the lock")
        await b.release()
        await a.release()
    }

    /// Polls `body` until it returns a value (every 0.2 s, for at most 30 s).
    func eventually<T: Sendable>(_ body: @Sendable () async throws -> T?) async throws -> T {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let value = try await body() { return value }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CancellationError()
    }
}
