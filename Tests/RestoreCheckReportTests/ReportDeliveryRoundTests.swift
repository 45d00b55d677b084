import Foundation
import RestoreCheckCore
import RestoreCheckReport
import RestoreCheckStore
import RestoreCheckStoreTestSupport
import RestoreCheckTestSupport
import Testing

/// Scheduled delivery with the clock given, from a real history to a real SMTP server: a new entry
/// waits for its next time, a due one is sent once, a failed one is retried after its backoff.
@Suite("Scheduled report delivery")
struct ReportDeliveryRoundTests {
    typealias H = SyntheticHistory

    @Test func aDeliveryIsSentOnceAtItsTimeAndRetriedAfterAFailure() async throws {
        let temp = TemporaryDirectory("delivery-round")
        let sink = try SMTPSink(in: temp)
        let store = try HistoryStore(path: temp.url("state/history.sqlite"))
        let history = SyntheticHistory(store: store)
        for day in 0..<40 { try history.record("fs", H.Test(day: day)) }

        let smtp = try sink.settings(in: temp, from: "reports@msp.example", password: "wrong")
        var config = Config(
            scratchDirectory: temp.url("scratch"), stateDirectory: temp.url("state"),
            targets: [Target(name: "fs", tenant: "acme", archiveGlob: "/srv/fs-*.tar", manifestTemplate: nil, rpo: TimeSpan(seconds: 26 * 3_600), rto: TimeSpan(seconds: 3_600))])
        config.smtp = smtp
        var spec = ReportDeliverySpec(tenant: "acme", to: ["it@acme.example"], schedule: try CalendarSchedule(parsing: "daily 06:00 UTC"))
        spec.format = .markdown
        config.deliveries = [spec]
        let key = try Ed25519Key.loadOrCreate(at: temp.url("state/key.pem"))
        let round = { (config: Config) in
            ReportDeliveryRound(mailer: ReportMailer(config: config, history: store, key: key), ledger: store, log: { _ in })
        }

        // First seen on day 30 at noon: the entry starts at its next time, day 31 06:00.
        #expect(await round(config).run(now: H.at(30, 12 * 3_600)).isEmpty)
        #expect(await round(config).run(now: H.at(31, 5 * 3_600)).isEmpty)
        // Due, but the password is wrong: failed, and retried only after a minute.
        let failed = await round(config).run(now: H.at(31, 6 * 3_600 + 10))
        guard case .failed(let why)? = failed[spec.name] else { Issue.record("\(failed)"); return }
        #expect(!why.contains("wrong"), "no password in the error: \(why)")
        #expect(await round(config).run(now: H.at(31, 6 * 3_600 + 30)).isEmpty, "waiting out its retry")

        config.smtp = try sink.settings(in: temp, from: "reports@msp.example")
        let sent = await round(config).run(now: H.at(31, 6 * 3_600 + 80))
        #expect(sent[spec.name] == .sent(attachments: ["acme-2026-02-01.md", "acme-2026-02-01.json", "acme-2026-02-01.json.sig"]))
        #expect(await round(config).run(now: H.at(31, 23 * 3_600)).isEmpty, "sent once per scheduled time")
        let mail = try SMTPSink.parse(try #require(sink.messages.first), in: temp)
        #expect(mail["subject"] as? String == "Restore-assurance report acme: 2026-01-31 to 2026-02-01", "one day: the previous 06:00 to this one")

        // A restarted daemon (a new store on the file) does not send it again.
        let reopened = try HistoryStore(path: temp.url("state/history.sqlite"))
        let again = ReportDeliveryRound(mailer: ReportMailer(config: config, history: reopened, key: key), ledger: reopened, log: { _ in })
        #expect(await again.run(now: H.at(32, 5 * 3_600)).isEmpty)
        #expect(await again.run(now: H.at(32, 6 * 3_600))[spec.name] != nil, "the next day's is due")
        #expect(sink.messages.count == 2)
    }
}
