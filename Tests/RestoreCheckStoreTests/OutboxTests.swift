import Foundation
import RestoreCheckCore
import RestoreCheckStore
import RestoreCheckStoreTestSupport
import RestoreCheckTestSupport
import Testing

/// The notification outbox in a real SQLite history: which events the ledger's rules record, when,
/// with which ids, and what each channel is given.
@Suite("Notification outbox in a real SQLite file")
struct OutboxTests {
    typealias H = SyntheticHistory

    func open(_ temp: TemporaryDirectory) throws -> (HistoryStore, SyntheticHistory) {
        let store = try HistoryStore(path: temp.url("state/history.sqlite"))
        return (store, SyntheticHistory(store: store))
    }

    func events(_ store: HistoryStore, channel: String = "psa") async throws -> [BreachEvent] {
        try await store.pendingEvents(channel: channel, now: .distantFuture, limit: 100).map(\.event)
    }

    @Test func aFailedTestOpensABreachAndTheNextPassResolvesItUnderOneID() async throws {
        let temp = TemporaryDirectory("outbox-fail")
        let (store, history) = try open(temp)
        try await store.registerChannels(["psa"])
        // An RPO of 3 days: two days of failures breach nothing but the tests.
        try history.record("fs", rpo: 3 * 86_400, H.Test(day: 0))
        #expect(try await events(store).isEmpty, "a passing first test within the RPO opens nothing")
        try history.record("fs", rpo: 3 * 86_400, H.Test(day: 1, status: .failed, reasons: [.checksumMismatch]))
        try history.record("fs", rpo: 3 * 86_400, H.Test(day: 2, status: .failed, reasons: [.checksumMismatch]))
        let opened = try await events(store)
        #expect(opened.map(\.state) == [.opened], "a second failure of the same streak is not a new event")
        #expect(opened.first?.kind == .failedTest)
        #expect(opened.first?.opened == H.finished(1))
        try history.record("fs", rpo: 3 * 86_400, H.Test(day: 3))
        let all = try await events(store)
        #expect(all.map(\.state) == [.opened, .resolved])
        #expect(all.map(\.breachID) == [opened[0].breachID, opened[0].breachID])
        #expect(all[1].resolved == H.finished(3))
        #expect(all[1].detail.contains("2 failed test(s): checksum_mismatch"), "\(all[1].detail)")
        #expect(all[0].breachID == BreachEvent.breachID(tenant: "acme", target: "fs", kind: .failedTest, opened: H.finished(1)))
        #expect(all[0].sequence < all[1].sequence)
        #expect(try await store.openBreaches().isEmpty)
    }

    @Test func timeAloneOpensAnRPOBreachAndNotTestedOnceEach() async throws {
        let temp = TemporaryDirectory("outbox-time")
        let (store, history) = try open(temp)
        try await store.registerChannels(["psa"])
        try history.record("fs", rpo: 26 * 3_600, H.Test(day: 0))
        let target = WatchedTarget(name: "fs", tenant: "acme", rpoSeconds: 26 * 3_600)
        #expect(try await store.refreshBreaches([target], now: H.at(1)) == 0, "24 h after the backup: within the RPO")
        #expect(try await store.refreshBreaches([target], now: H.at(1, 3 * 3_600)) == 1)
        #expect(try await store.refreshBreaches([target], now: H.at(1, 4 * 3_600)) == 0, "an open breach is recorded once")
        #expect(try await store.refreshBreaches([target], now: H.at(8)) == 1, "a week without a test: not_tested")
        let opened = try await events(store)
        #expect(opened.map(\.kind) == [.rpoBreach, .notTested])
        #expect(opened[0].opened == H.at(0).addingTimeInterval(26 * 3_600), "the breach opened when the backup passed the RPO")
        #expect(opened[1].opened == H.finished(0).addingTimeInterval(7 * 86_400))
        try history.record("fs", rpo: 26 * 3_600, H.Test(day: 9))
        let all = try await events(store)
        #expect(all.map(\.state) == [.opened, .opened, .resolved, .resolved])
        #expect(Set(all.suffix(2).map(\.breachID)) == Set(opened.map(\.breachID)))
        #expect(all.suffix(2).allSatisfy { $0.resolved == H.finished(9) })
    }

    @Test func aTargetNeverTestedIsReportedAWeekAfterItWasFirstSeen() async throws {
        let temp = TemporaryDirectory("outbox-never")
        let (store, _) = try open(temp)
        try await store.registerChannels(["psa"])
        let target = WatchedTarget(name: "new", tenant: "acme", rpoSeconds: 86_400)
        #expect(try await store.refreshBreaches([target], now: H.at(0)) == 0, "a target just added is not untested yet")
        #expect(try await store.refreshBreaches([target], now: H.at(6)) == 0)
        #expect(try await store.refreshBreaches([target], now: H.at(7, 1)) == 1)
        #expect(try await events(store).map(\.kind) == [.notTested])
    }

    @Test func aTargetRemovedFromTheConfigHasItsBreachesResolved() async throws {
        let temp = TemporaryDirectory("outbox-removed")
        let (store, history) = try open(temp)
        try await store.registerChannels(["psa"])
        try history.record("old", H.Test(day: 0, status: .failed, reasons: [.checksumMismatch]))
        #expect(Set(try await store.openBreaches().map(\.kind)) == [.failedTest, .neverVerified])
        #expect(try await store.refreshBreaches([], now: H.at(1)) == 2)
        let resolved = try await events(store).filter { $0.state == .resolved }
        #expect(resolved.count == 2)
        #expect(resolved.allSatisfy { $0.detail == "the target was removed from the config" && $0.resolved == H.at(1) })
    }

    @Test func ransomwaresTracesOpenTheirOwnBreachBesideTheFailedTest() async throws {
        let temp = TemporaryDirectory("outbox-suspicious")
        let (store, history) = try open(temp)
        try await store.registerChannels(["psa"])
        try history.record("fs", rpo: 3 * 86_400, H.Test(day: 0))
        try history.record("fs", rpo: 3 * 86_400, H.Test(day: 1, status: .failed, reasons: [.suspiciousContent, .checksumMismatch]))
        let opened = try await events(store)
        #expect(Set(opened.map(\.kind)) == [.failedTest, .suspicious])
        #expect(opened.first { $0.kind == .suspicious }?.detail == "1 test(s) with suspicious content or changes: suspicious_content")
        try history.record("fs", rpo: 3 * 86_400, H.Test(day: 2, status: .error, reasons: [.workerCrashed]))
        #expect(try await events(store).count == 3, "an error tells nothing about the content: only error_streak opens")
        try history.record("fs", rpo: 3 * 86_400, H.Test(day: 3, status: .failed, reasons: [.checksumMismatch]))
        let afterClean = try await events(store)
        #expect(afterClean.filter { $0.state == .resolved }.map(\.kind).sorted { $0.rawValue < $1.rawValue } == [.errorStreak, .suspicious],
                "a conclusive test without the traces resolves it; the failed test stays open")
    }

    @Test func aRestoreChangesNoBreach() async throws {
        let temp = TemporaryDirectory("outbox-restore")
        let (store, _) = try open(temp)
        try await store.registerChannels(["psa"])
        let started = H.at(0)
        let id = try await store.beginRun(target: "fs", tenant: "acme", started: started, origin: RestoreRunner.origin)
        var outcome = Outcome.fixture(target: "fs", tenant: "acme", status: .failed, reasons: [.checksumMismatch], backup: started, started: started, finished: started.addingTimeInterval(5))
        outcome.rpoSeconds = 86_400
        try await store.complete(runID: id, outcome: outcome)
        #expect(try await events(store).isEmpty)
    }

    @Test func aChannelGetsEventsFromWhenItWasFirstSeenInOrderAfterRetries() async throws {
        let temp = TemporaryDirectory("outbox-channels")
        let (store, history) = try open(temp)
        try history.record("fs", H.Test(day: 0, status: .failed, reasons: [.checksumMismatch]))
        try await store.registerChannels(["psa"])
        #expect(try await events(store).isEmpty, "events recorded before the channel existed are not its")
        try history.record("fs", H.Test(day: 1))
        let pending = try await events(store)
        #expect(pending.count == 2, "failed_test and never_verified resolved")

        try await store.markFailed(sequence: pending[0].sequence, channel: "psa", error: "HTTP 503", retryAt: H.at(5))
        #expect(try await store.outboxBacklog(channels: ["psa"])["psa"]?.lastError == "HTTP 503")
        #expect(try await store.pendingEvents(channel: "psa", now: H.at(4), limit: 10).isEmpty, "the head waits out its retry, and holds back the rest")
        let due = try await store.pendingEvents(channel: "psa", now: H.at(5), limit: 10)
        #expect(due.map(\.event.sequence) == pending.map(\.sequence))
        #expect(due.first?.attempts == 1)
        try await store.markDelivered(sequence: pending[0].sequence, channel: "psa", at: H.at(5))
        #expect(try await events(store).map(\.sequence) == [pending[1].sequence])
        let backlog = try #require(try await store.outboxBacklog(channels: ["psa"])["psa"])
        #expect(backlog.waiting == 1 && backlog.lastError == nil)
        #expect(abs((backlog.oldest ?? .distantPast).timeIntervalSince(H.finished(1))) < 0.01, "recorded with the run that resolved it")

        // A second store on the same file (a restarted daemon) sees the same outbox.
        let reopened = try HistoryStore(path: temp.url("state/history.sqlite"))
        #expect(try await reopened.pendingEvents(channel: "psa", now: .distantFuture, limit: 10).map(\.event.sequence) == [pending[1].sequence])
    }
}
