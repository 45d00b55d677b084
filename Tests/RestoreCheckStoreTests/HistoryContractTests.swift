import Foundation
import RestoreCheckCore
import RestoreCheckStoreTestSupport
import RestoreCheckTestSupport
import Testing

/// The history contract (`RunHistory`, `EventOutbox`, `ReportDeliveryLedger`, `HistoryQuery` and the
/// evidence chain), the same tests against both stores: SQLite in a file and PostgreSQL in a real
/// cluster. A store that answers differently from the other fails here.
@Suite("The history contract, on SQLite and on PostgreSQL")
struct HistoryContractTests {
    typealias H = SyntheticHistory

    @Test(arguments: HistoryBackend.allCases)
    func runsStartThenCompleteWithTheirFindings(_ backend: HistoryBackend) async throws {
        let history = try await backend.open("contract-runs")
        defer { history.close() }
        let store = history.store
        let id = try await store.beginRun(target: "fs", tenant: "acme", started: H.started(0), origin: "serve")
        #expect(try await store.latestPerTarget().map(\.status) == [.started])
        try await store.complete(runID: id, outcome: H.outcome("fs", H.Test(day: 0, status: .failed, reasons: [.checksumMismatch], findings: 5)))
        let latest = try #require(try await store.latestPerTarget().first)
        #expect(latest.status == .failed)
        #expect(latest.reasons == ["checksum_mismatch"])
        #expect(latest.outcome?.findingsOmitted == 2)
        #expect(latest.finished == H.finished(0))
        #expect(try await store.findings(runID: id).map(\.path) == ["docs/file-0.txt", "docs/file-1.txt", "docs/file-2.txt"])
        // The reports' query API reads the same run, on a thread of its own.
        let (runs, findings) = try await Blocking.run {
            (try store.finishedRuns(tenant: "acme", through: .distantFuture), try store.findings(runIDs: [id], perRun: 2))
        }
        #expect(runs.map(\.id) == [id])
        #expect(runs.first?.findingCount == 5)
        #expect(runs.first?.seed == "0")
        #expect(runs.first?.rtoMet == true)
        #expect(runs.first?.archiveBytes == 1_000_000)
        #expect(findings[id]?.map(\.path) == ["docs/file-0.txt", "docs/file-1.txt"], "the first two, in recorded order")
        #expect(try await Blocking.run { try store.finishedRuns(tenant: "other", through: .distantFuture) }.isEmpty)
    }

    @Test(arguments: HistoryBackend.allCases)
    func theVerifiedPointAndLastStartSkipFailuresAndRestores(_ backend: HistoryBackend) async throws {
        let history = try await backend.open("contract-verified")
        defer { history.close() }
        let store = history.store
        try await H.record(into: store, "fs", H.Test(day: 0))
        try await H.record(into: store, "fs", H.Test(day: 1))
        try await H.record(into: store, "fs", H.Test(day: 2, status: .failed, reasons: [.checksumMismatch]))
        // A restore made later is recorded but is no test: it moves neither the point nor the schedule.
        try await H.record(into: store, "fs", origin: RestoreRunner.origin, H.Test(day: 3))
        try await H.record(into: store, "db", H.Test(day: 0, status: .error, reasons: [.workerCrashed]))
        let points = try await store.verifiedRestorePoints()
        #expect(points["fs"]?.backup == H.at(1), "the failed newer backup and the restore do not count")
        #expect(points["db"] == nil)
        let last = try await store.lastStarted()
        #expect(last["fs"] == H.started(2))
        #expect(last["db"] == H.started(0))
        #expect(try await store.latestPerTarget().map(\.target) == ["db", "fs"])
        #expect(try await store.latestPerTarget().last?.status == .failed, "the newest test, not the restore")
        #expect(try await store.history(target: "fs", limit: 2).map(\.origin) == [RestoreRunner.origin, "serve"], "history shows restores too")
    }

    @Test(arguments: HistoryBackend.allCases)
    func leftoversAreAbortedAndChainedAndRetentionKeepsTheChainVerifiable(_ backend: HistoryBackend) async throws {
        let history = try await backend.open("contract-prune")
        defer { history.close() }
        let store = history.store
        for day in 0..<5 { try await H.record(into: store, "fs", H.Test(day: day)) }
        _ = try await store.beginRun(target: "fs", tenant: "acme", started: H.started(6), origin: "serve")
        #expect(try await store.abortLeftovers() == 1)
        #expect(try await store.latestPerTarget().first?.status == .aborted)
        #expect(try await store.lastStarted()["fs"] == H.started(4), "an aborted run verified nothing")
        let before = try await history.verify()
        #expect(before.isIntact)
        #expect(before.entriesChecked == 6)
        #expect(try await store.prune(before: H.at(2)) == 2)
        let after = try await history.verify()
        #expect(after.isIntact, "\(after.problems)")
        #expect(after.anchor?.seq == 2)
        #expect(after.headHash == before.headHash, "retention removes a prefix, never the head")
        #expect(after.entriesChecked == 4)
    }

    @Test(arguments: HistoryBackend.allCases)
    func aChangedRunAFindingAndADeletedRunAreNamed(_ backend: HistoryBackend) async throws {
        let history = try await backend.open("contract-tamper")
        defer { history.close() }
        let store = history.store
        var ids: [Int64] = []
        for day in 0..<6 {
            ids.append(try await H.record(into: store, "fs", H.Test(day: day, status: day == 3 ? .failed : .passed, reasons: day == 3 ? [.checksumMismatch] : [], findings: day == 3 ? 1 : 0)))
        }
        #expect(try await history.verify().isIntact)
        try await history.tamper("UPDATE run SET status = 'failed', reasons = 'checksum_mismatch' WHERE id = \(ids[1])")
        try await history.tamper("UPDATE finding SET path = 'other.txt' WHERE run_id = \(ids[3])")
        try await history.tamper("DELETE FROM run WHERE id = \(ids[4])")
        let check = try await history.verify()
        #expect(check.problems.contains(.changed(runID: ids[1], seq: 2)))
        #expect(check.problems.contains(.changed(runID: ids[3], seq: 4)))
        #expect(check.problems.contains(.deleted(seqs: 5...5, after: ids[3], before: ids[5])))
        #expect(check.problems.count == 3, "\(check.problems)")
    }

    @Test(arguments: HistoryBackend.allCases)
    func aBreachOpensOnceAndResolvesUnderItsIDInEveryChannelsOrder(_ backend: HistoryBackend) async throws {
        let history = try await backend.open("contract-outbox")
        defer { history.close() }
        let store = history.store
        try await store.registerChannels(["psa"])
        try await H.record(into: store, "fs", rpo: 3 * 86_400, H.Test(day: 0))
        try await H.record(into: store, "fs", rpo: 3 * 86_400, H.Test(day: 1, status: .failed, reasons: [.checksumMismatch]))
        try await H.record(into: store, "fs", rpo: 3 * 86_400, H.Test(day: 2, status: .failed, reasons: [.checksumMismatch]))
        try await store.registerChannels(["late"])
        try await H.record(into: store, "fs", rpo: 3 * 86_400, H.Test(day: 3))
        let events = try await store.pendingEvents(channel: "psa", now: .distantFuture, limit: 10).map(\.event)
        #expect(events.map(\.state) == [.opened, .resolved])
        #expect(events.map(\.breachID) == [events[0].breachID, events[0].breachID])
        #expect(events[0].breachID == BreachEvent.breachID(tenant: "acme", target: "fs", kind: .failedTest, opened: H.finished(1)))
        #expect(try await store.pendingEvents(channel: "late", now: .distantFuture, limit: 10).map(\.event.state) == [.resolved],
                "a channel first seen later is sent only what came after")
        // A failed delivery holds back the events after it until its retry.
        try await store.markFailed(sequence: events[0].sequence, channel: "psa", error: "HTTP 503", retryAt: H.at(10))
        #expect(try await store.pendingEvents(channel: "psa", now: H.at(9), limit: 10).isEmpty)
        #expect(try await store.outboxBacklog(channels: ["psa"])["psa"] == ChannelBacklog(waiting: 2, oldest: events[0].recorded, lastError: "HTTP 503"))
        let retried = try await store.pendingEvents(channel: "psa", now: H.at(10), limit: 10)
        #expect(retried.map(\.attempts) == [1, 0])
        for event in retried { try await store.markDelivered(sequence: event.event.sequence, channel: "psa", at: H.at(10)) }
        #expect(try await store.pendingEvents(channel: "psa", now: .distantFuture, limit: 10).isEmpty)
        #expect(try await store.outboxBacklog(channels: ["psa"])["psa"]?.waiting == 0)
        #expect(try await store.openBreaches().isEmpty)
    }

    @Test(arguments: HistoryBackend.allCases)
    func timeAloneOpensBreachesAndARemovedTargetsAreResolved(_ backend: HistoryBackend) async throws {
        let history = try await backend.open("contract-sweep")
        defer { history.close() }
        let store = history.store
        try await store.registerChannels(["psa"])
        try await H.record(into: store, "fs", rpo: 26 * 3_600, H.Test(day: 0))
        let target = WatchedTarget(name: "fs", tenant: "acme", rpoSeconds: 26 * 3_600)
        #expect(try await store.refreshBreaches([target], now: H.at(1)) == 0)
        #expect(try await store.refreshBreaches([target], now: H.at(1, 3 * 3_600)) == 1)
        #expect(try await store.refreshBreaches([target], now: H.at(1, 4 * 3_600)) == 0, "an open breach is recorded once")
        #expect(try await store.openBreaches().map(\.kind) == [.rpoBreach])
        #expect(try await store.refreshBreaches([], now: H.at(2)) == 1, "the target left the config")
        let events = try await store.pendingEvents(channel: "psa", now: .distantFuture, limit: 10).map(\.event)
        #expect(events.map(\.state) == [.opened, .resolved])
        #expect(events.last?.detail == "the target was removed from the config")
    }

    @Test(arguments: HistoryBackend.allCases)
    func aReportDeliveryIsRecordedOnceAndRetried(_ backend: HistoryBackend) async throws {
        let history = try await backend.open("contract-delivery")
        defer { history.close() }
        let store = history.store
        #expect(try await store.reportDeliveryState(name: "monthly", baseline: H.at(0)) == ReportDeliveryState(lastDue: H.at(0)))
        try await store.markReportFailed(name: "monthly", error: "SMTP 451", retryAt: H.at(1))
        #expect(try await store.reportDeliveryState(name: "monthly", baseline: H.at(5))
            == ReportDeliveryState(lastDue: H.at(0), attempts: 1, retryAt: H.at(1), lastError: "SMTP 451"), "the baseline counts only the first time")
        try await store.markReportDelivered(name: "monthly", due: H.at(30))
        try await store.markReportDelivered(name: "monthly", due: H.at(2))
        #expect(try await store.reportDeliveryState(name: "monthly", baseline: H.at(0)) == ReportDeliveryState(lastDue: H.at(30)), "never goes back")
    }
}
