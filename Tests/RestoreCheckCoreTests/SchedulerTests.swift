import Foundation
import Testing

@testable import RestoreCheckCore

/// Scheduler decisions at explicit dates: no test here sleeps.
@Suite("Scheduling with an injected clock")
struct SchedulerTests {
    let utc = TimeZone(identifier: "UTC")!
    /// 2026-11-22 12:00:00 UTC.
    let noon = Date(timeIntervalSince1970: 1_795_867_200)

    func hours(_ count: Double) -> TimeInterval { count * 3600 }

    @Test func intervalFromTheLastStartWithBoundedJitter() {
        let schedule = Schedule(every: TimeSpan(seconds: hours(6)), jitter: TimeSpan(seconds: 600))
        let last = noon.addingTimeInterval(-hours(1))
        for target in ["a", "b", "fileserver", "mail-01"] {
            let next = SchedulePlanner.nextRun(target: target, schedule: schedule, lastStarted: last, now: noon)
            let offset = next.timeIntervalSince(last) - hours(6)
            #expect(offset >= 0 && offset < 600, "\(target): jitter \(offset)")
        }
        let a = SchedulePlanner.nextRun(target: "a", schedule: schedule, lastStarted: last, now: noon)
        #expect(a == SchedulePlanner.nextRun(target: "a", schedule: schedule, lastStarted: last, now: noon), "deterministic")
    }

    @Test func jitterSpreadsManyTargetsDueAtOnce() {
        let schedule = Schedule(every: TimeSpan(seconds: hours(6)), jitter: TimeSpan(seconds: 1800))
        let starts = (0..<300).map { SchedulePlanner.nextRun(target: "target-\($0)", schedule: schedule, lastStarted: nil, now: noon) }
        let offsets = starts.map { $0.timeIntervalSince(noon) }
        #expect(offsets.allSatisfy { $0 >= 0 && $0 < 1800 })
        #expect(Set(offsets.map { Int($0 / 60) }).count > 25, "spread over the 30 minutes")
    }

    @Test func overdueAfterDowntimeRunsOnceNow() {
        let schedule = Schedule(every: TimeSpan(seconds: hours(6)), jitter: TimeSpan(seconds: 0))
        let lastBeforeOutage = noon.addingTimeInterval(-hours(50))  // eight intervals missed
        let next = SchedulePlanner.nextRun(target: "t", schedule: schedule, lastStarted: lastBeforeOutage, now: noon)
        #expect(next == noon)
        var state = SchedulerState(maxConcurrent: 1)
        state.configure([("t", schedule)], lastStarted: ["t": lastBeforeOutage], now: noon)
        #expect(state.takeDue(now: noon) == ["t"])
        state.finished("t", started: noon, now: noon.addingTimeInterval(60))
        #expect(state.nextRun["t"] == noon.addingTimeInterval(hours(6)), "next interval counts from this run, not the missed ones")
        #expect(state.takeDue(now: noon.addingTimeInterval(120)).isEmpty)
    }

    @Test func windowDefersToTheNextOpening() throws {
        let window = try #require(DailyWindow(parsing: "22:00-06:00", timeZone: utc))
        #expect(window.contains(noon.addingTimeInterval(hours(11))))  // 23:00
        #expect(window.contains(noon.addingTimeInterval(hours(17))))  // 05:00 next day
        #expect(!window.contains(noon))
        let schedule = Schedule(every: TimeSpan(seconds: hours(24)), window: window, jitter: TimeSpan(seconds: 900))
        let next = SchedulePlanner.nextRun(target: "t", schedule: schedule, lastStarted: nil, now: noon)
        let opening = noon.addingTimeInterval(hours(10))  // 22:00
        #expect(next >= opening && next < opening.addingTimeInterval(900))
        #expect(window.contains(next))
        // Inside the window, a due test starts now (plus jitter), not at the next opening.
        let lateNight = noon.addingTimeInterval(hours(12))
        let inside = SchedulePlanner.nextRun(target: "t", schedule: schedule, lastStarted: nil, now: lateNight)
        #expect(inside >= lateNight && inside < lateNight.addingTimeInterval(900))
    }

    @Test(arguments: ["", "22:00", "25:00-06:00", "22:00-06:60", "6-7", "22:00-22:00"])
    func badWindowsAreRejected(text: String) {
        #expect(DailyWindow(parsing: text) == nil)
    }

    @Test func concurrencyIsAQueueNotAStampede() {
        let schedule = Schedule(every: TimeSpan(seconds: hours(1)), jitter: TimeSpan(seconds: 0))
        var state = SchedulerState(maxConcurrent: 2)
        state.configure(["a", "b", "c", "d"].map { ($0, schedule) }, lastStarted: [:], now: noon)
        #expect(state.takeDue(now: noon) == ["a", "b"])
        #expect(state.takeDue(now: noon).isEmpty, "both slots busy")
        state.finished("a", started: noon, now: noon.addingTimeInterval(10))
        #expect(state.takeDue(now: noon.addingTimeInterval(10)) == ["c"])
        state.finished("b", started: noon, now: noon.addingTimeInterval(20))
        #expect(state.takeDue(now: noon.addingTimeInterval(20)) == ["d"])
    }

    @Test func aRunningTargetIsNeverStartedAgain() {
        let schedule = Schedule(every: TimeSpan(seconds: 60), jitter: TimeSpan(seconds: 0))
        var state = SchedulerState(maxConcurrent: 5)
        state.configure([("slow", schedule)], lastStarted: [:], now: noon)
        #expect(state.takeDue(now: noon) == ["slow"])
        // Hours later it is long overdue by its interval, but still running.
        #expect(state.takeDue(now: noon.addingTimeInterval(hours(3))).isEmpty)
        state.runSoon("slow", now: noon.addingTimeInterval(hours(3)))
        #expect(state.takeDue(now: noon.addingTimeInterval(hours(3))).isEmpty)
    }

    @Test func reconfigureKeepsPlansAndForgetsRemovedTargets() {
        let schedule = Schedule(every: TimeSpan(seconds: hours(6)), jitter: TimeSpan(seconds: 0))
        var state = SchedulerState(maxConcurrent: 1)
        state.configure([("a", schedule), ("b", schedule)], lastStarted: ["a": noon, "b": noon], now: noon)
        let planned = state.nextRun["a"]
        state.configure([("a", schedule), ("c", schedule)], lastStarted: ["a": noon, "b": noon], now: noon.addingTimeInterval(5))
        #expect(state.nextRun["a"] == planned)
        #expect(state.nextRun["b"] == nil)
        #expect(state.nextRun["c"] != nil)
        let faster = Schedule(every: TimeSpan(seconds: hours(1)), jitter: TimeSpan(seconds: 0))
        state.configure([("a", faster)], lastStarted: ["a": noon], now: noon.addingTimeInterval(5))
        #expect(state.nextRun["a"] == noon.addingTimeInterval(hours(1)), "a changed schedule is replanned")
        #expect(state.nextWake() == noon.addingTimeInterval(hours(1)))
    }

    @Test func configKeysForTheDaemon() throws {
        let config = try ConfigLoader().parse(
            """
            max_concurrent: 3
            history_days: 90
            defaults: { rpo: 26h, rto: 4h, every: 6h, window: "22:00-06:00", jitter: 0s }
            targets:
              - { name: a, tenant: t, archives: /x, every: 12h }
            """, file: "rc.yaml", baseDirectory: "/")
        #expect(config.maxConcurrent == 3)
        #expect(config.historyDays == 90)
        #expect(config.targets[0].schedule.every.seconds == hours(12))
        #expect(config.targets[0].schedule.window?.description == "22:00-06:00")
        #expect(config.targets[0].schedule.jitter.seconds == 0)
        #expect(config.historyPath == "/var/lib/restorecheck/history.sqlite")
    }
}
