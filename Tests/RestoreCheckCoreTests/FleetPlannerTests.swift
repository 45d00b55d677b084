import Foundation
import Testing

@testable import RestoreCheckCore

/// The planner's rule: due targets become jobs once, a jittered start stays put between rounds, and
/// a target whose verified restore point breaches its RPO (or that was never verified) is `overdue`.
@Suite("Fleet planner: due jobs, stable jitter, overdue before scheduled")
struct FleetPlannerTests {
    let config = try! parseConfig(
        """
        defaults: { rpo: 26h, rto: 4h, every: 24h, jitter: 1h }
        targets:
          - { name: fs, tenant: acme, archives: /b/fs.tar, location: fra1 }
          - { name: db, tenant: acme, archives: /b/db.tar }
          - { name: nas, tenant: initech, archives: /b/nas.tar }
        """)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aJitteredStartIsPlannedOnceAndQueuedWhenItComes() {
        var planner = FleetPlanner()
        let last = ["fs": now.addingTimeInterval(-86_400), "db": now.addingTimeInterval(-3_600), "nas": now.addingTimeInterval(-86_400)]
        let first = planner.due(targets: config.targets, lastStarted: last, open: [], now: now)
        // The jitter is in [0, 1h): each is due within the hour, not before its jitter.
        var queued: [DueJob] = first
        var clock = now
        while clock < now.addingTimeInterval(3_600) {
            clock += 60
            let round = planner.due(targets: config.targets, lastStarted: last, open: Set(queued.map(\.target)), now: clock)
            queued += round
        }
        #expect(queued.map(\.target).sorted() == ["fs", "nas"], "db ran an hour ago; each due target once, though planned every minute")
        let fs = try! #require(queued.first { $0.target == "fs" })
        #expect(fs.location == "fra1" && fs.startBy == fs.due.addingTimeInterval(86_400), "the start window is the interval")
    }

    @Test func neverVerifiedOrPastItsRPOIsOverdue() {
        var planner = FleetPlanner()
        // Never tested: due within the jitter, except a target already queued.
        _ = planner.due(targets: config.targets, lastStarted: [:], open: ["nas"], now: now)
        let due = planner.due(targets: config.targets, lastStarted: [:], open: ["nas"], now: now.addingTimeInterval(3_600))
        #expect(due.map(\.target).sorted() == ["db", "fs"])
        let verified = [
            "fs": VerifiedRestorePoint(backup: now.addingTimeInterval(-3_600), verifiedAt: now),
            "db": VerifiedRestorePoint(backup: now.addingTimeInterval(-27 * 3_600), verifiedAt: now),
        ]
        let prioritised = FleetPlanner.prioritised(due, targets: config.targets, verified: verified, now: now)
        #expect(Dictionary(uniqueKeysWithValues: prioritised.map { ($0.target, $0.priority) }) == ["fs": .scheduled, "db": .overdue])
        #expect(FleetPlanner.prioritised(due, targets: config.targets, verified: [:], now: now).allSatisfy { $0.priority == .overdue })
    }

    @Test func aJobNobodyStartsSaysWhoCouldHave() {
        let fs = config.targets[0]
        let none = NotStarted.outcome(target: fs, due: now, startBy: now.addingTimeInterval(86_400), servers: [], now: now.addingTimeInterval(90_000))
        #expect(none.status == .error && none.reasons == [.notStarted])
        #expect(none.summary == "not started within its start window (1d0h): no live node serves location 'fra1'")
        let busy = NotStarted.outcome(target: fs, due: now, startBy: now.addingTimeInterval(3_600), servers: ["b", "a"], now: now)
        #expect(busy.summary.hasSuffix("the nodes that may test it were busy (a, b)"))
        #expect(busy.started == now, "the run covers the wait: from due to the window's end")
    }
}
