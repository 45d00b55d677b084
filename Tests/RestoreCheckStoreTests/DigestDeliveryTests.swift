import Foundation
import RestoreCheckCore
import RestoreCheckStore
import RestoreCheckStoreTestSupport
import RestoreCheckTestSupport
import Testing

/// `digest: daily` through `EventDelivery`, from a real outbox to a real SMTP server (aiosmtpd),
/// with the clock given: nothing is sent before the oldest event has waited a day, then one mail.
@Suite("Daily digests from the outbox to a real SMTP server")
struct DigestDeliveryTests {
    typealias H = SyntheticHistory

    @Test func aDigestWaitsADayThenSendsEveryWaitingEventInOneMail() async throws {
        let temp = TemporaryDirectory("digest")
        let sink = try SMTPSink(in: temp)
        let store = try HistoryStore(path: temp.url("state/history.sqlite"))
        let history = SyntheticHistory(store: store)
        try await store.registerChannels(["digest"])
        try history.record("fs", rpo: 3 * 86_400, H.Test(day: 0))
        try history.record("fs", rpo: 3 * 86_400, H.Test(day: 1, status: .failed, reasons: [.checksumMismatch]))
        try history.record("db", rpo: 3 * 86_400, H.Test(day: 1, status: .error, reasons: [.workerCrashed]))

        let smtp = try sink.settings(in: temp, from: "rc@msp.example")
        var channel = NotifyChannel(name: "digest", webhook: nil, email: .init(to: ["noc@msp.example"], dailyDigest: true))
        channel.kinds = [.failedTest, .errorStreak]
        let delivery = EventDelivery(outbox: store, channels: [channel], smtp: smtp, log: { _ in })

        let waiting = try await store.pendingEvents(channel: "digest", now: .distantFuture, limit: 10).map { "\($0.event.target) \($0.event.kind.rawValue)" }
        #expect(waiting == ["fs failed_test", "db never_verified", "db error_streak"])
        let early = await delivery.deliverDue(now: { H.finished(1).addingTimeInterval(23 * 3_600) })
        #expect(early.sent == 0 && early.failed == 0)
        #expect(early.filtered == 1, "db's never_verified is not a kind this channel takes")
        #expect(sink.messages.isEmpty, "the oldest event has waited 23 h: no digest yet")

        let due = await delivery.deliverDue(now: { H.finished(1).addingTimeInterval(24 * 3_600 + 1) })
        #expect(due.sent == 2, "\(due)")
        let mails = try sink.messages.map { try SMTPSink.parse($0, in: temp) }
        #expect(mails.count == 1)
        #expect(mails.first?["subject"] as? String == "[restorecheck] Digest: 2 breach(es) opened, 0 resolved")
        let text = ((mails.first?["parts"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
        #expect(text.contains("Target: fs") && text.contains("Target: db") && text.contains("Kind: error_streak"), "\(text)")

        let again = await delivery.deliverDue(now: { H.finished(1).addingTimeInterval(50 * 3_600) })
        #expect(again.sent == 0)
        #expect(sink.messages.count == 1, "each event is in one digest")
    }
}
