import Foundation
import Glibc
import RestoreCheckCore
import RestoreCheckTestSupport
import Testing

/// Breach events delivered by the built binary to a real webhook receiver on loopback
/// (`webhook-receiver.py`): what is sent, signed, once, in order, and after an outage.
@Suite("Notifications from run and serve to a real webhook receiver")
struct NotifyCommandTests {
    /// One target over a real tar archive, and switches that break and mend its bytes.
    struct Fixture {
        let temp: TemporaryDirectory
        let archive: String
        let original: Data
        let keyPath: String
        let key = "7d1c0b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877665544"

        init(_ name: String) throws {
            temp = TemporaryDirectory(name)
            let set = try BackupSet.make(.gnuTar, in: temp, name: "fs")
            archive = set.archive
            original = try Data(contentsOf: URL(fileURLWithPath: archive))
            keyPath = try temp.write("webhook.key", key + "\n")
        }

        /// Flips one byte of a file's content (a checksum mismatch: `failed`).
        func breakArchive() throws {
            var bytes = original
            let range = try #require(bytes.range(of: Data("meeting at 10".utf8)))
            bytes[range.lowerBound] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: archive))
        }

        func mendArchive() throws { try original.write(to: URL(fileURLWithPath: archive)) }

        func config(url: String, channel extra: String = "") throws -> String {
            try temp.write("restorecheck.yaml", """
                scratch_dir: scratch
                state_dir: state
                defaults: { rpo: 26h, rto: 4h, every: 24h, jitter: 0s, sample: { files: all } }
                targets:
                  - { name: fileserver, tenant: acme, archives: \(archive), manifest: "{archive}.sha256" }
                notify:
                  - name: psa
                    webhook: { url: "\(url)", secret_file: \(keyPath) }
                \(extra)
                """)
        }

        /// The same target with an e-mail channel through `sink`, its password in a file.
        func mailConfig(_ sink: SMTPSink, password: String? = nil, channel extra: String = "") throws -> String {
            let passwordFile = try temp.write("smtp.pass", (password ?? sink.password) + "\n")
            return try temp.write("restorecheck.yaml", """
                scratch_dir: scratch
                state_dir: state
                defaults: { rpo: 26h, rto: 4h, every: 24h, jitter: 0s, sample: { files: all } }
                targets:
                  - { name: fileserver, tenant: acme, archives: \(archive), manifest: "{archive}.sha256" }
                smtp:
                  server: "127.0.0.1:\(sink.port)"
                  username: \(sink.user)
                  password_file: \(passwordFile)
                  ca_file: \(sink.certificate)
                  from: restorecheck@msp.example
                notify:
                  - name: noc-mail
                    email: { to: [ "noc@msp.example", "oncall@msp.example" ] }
                \(extra)
                """)
        }

        func run(_ config: String) throws -> Shell.Result {
            try Shell.execute(BuiltBinary.path, ["run", "--config", config])
        }

        /// Whether `signature` is the HMAC-SHA-256 of `body` under the key, as openssl computes it.
        func verifies(_ body: String, _ signature: String?) throws -> Bool {
            let bodyPath = try temp.write("body-\(UUID().uuidString).json", body)
            let result = try Shell.run("openssl dgst -sha256 -hmac \"$KEY\" -r \(bodyPath)", environment: ["KEY": key])
            let hex = result.stdout.split(separator: " ").first.map(String.init) ?? "?"
            return signature == "sha256=\(hex)"
        }
    }

    @Test func aFailingTargetThenFixedGivesOneOpenedAndOneResolvedSignedUnderOneID() async throws {
        try await Blocking.run {
            let fixture = try Fixture("notify-once")
            let receiver = try WebhookReceiver(in: fixture.temp)
            let config = try fixture.config(url: receiver.url)
            #expect(try fixture.run(config).status == 0)
            #expect(receiver.deliveries.isEmpty, "a passing test opens nothing")

            try fixture.breakArchive()
            #expect(try fixture.run(config).status == 1)
            try fixture.mendArchive()
            let fixed = try fixture.run(config)
            #expect(fixed.status == 0, "\(fixed.stderr)")
            #expect(try fixture.run(config).status == 0, "a fourth run sends nothing more")

            let deliveries = receiver.deliveries
            #expect(deliveries.map { $0.data["state"] as? String } == ["opened", "resolved"])
            #expect(deliveries.allSatisfy { $0.answered })
            let ids = deliveries.map { $0.data["breach_id"] as? String }
            #expect(ids[0] != nil && ids[0] == ids[1], "one breach, one id")
            #expect(deliveries.map { $0.event["id"] as? String } == ids.map { "\($0 ?? "")-opened" }.prefix(1) + ids.map { "\($0 ?? "")-resolved" }.suffix(1))
            for delivery in deliveries {
                #expect(delivery.event["specversion"] as? String == "1.0")
                #expect(delivery.event["source"] as? String == "restorecheck/tenants/acme")
                #expect(delivery.event["subject"] as? String == "fileserver")
                #expect(delivery.data["kind"] as? String == "failed_test")
                #expect(delivery.data["tenant"] as? String == "acme")
                #expect(delivery.headers["content-type"] == "application/cloudevents+json; charset=utf-8")
                #expect(try fixture.verifies(delivery.body, delivery.headers["x-hub-signature-256"]), "the HMAC verifies with openssl")
                #expect(delivery.headers["x-amz-content-sha256"] == nil)
            }
            #expect(deliveries.map { $0.event["type"] as? String } == ["org.restorecheck.breach.opened", "org.restorecheck.breach.resolved"])
            #expect(deliveries[1].data["resolved_at"] as? String != nil)
            #expect((deliveries[1].data["detail"] as? String)?.contains("checksum_mismatch") == true)
            // A body signed under another key does not verify: the check above can fail.
            #expect(try !fixture.verifies(deliveries[0].body + " ", deliveries[0].headers["x-hub-signature-256"]))
        }
    }

    @Test func aReceiverThatIsDownGetsEverythingInOrderWhenItReturns() async throws {
        try await Blocking.run {
            let fixture = try Fixture("notify-down")
            let receiver = try WebhookReceiver(in: fixture.temp, mode: "down")
            let config = try fixture.config(url: receiver.url)
            try fixture.breakArchive()
            let failed = try fixture.run(config)
            #expect(failed.status == 1, "an undelivered event does not change the verdict's exit code")
            #expect(failed.stderr.contains("HTTP 503"), "\(failed.stderr)")
            #expect(failed.stderr.contains("stay in the outbox"))
            #expect(receiver.deliveries.isEmpty)
            let status = try Shell.execute(BuiltBinary.path, ["notify", "status", "--config", config, "--json"])
            let document = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
            let channels = document?["channels"] as? [[String: Any]] ?? []
            #expect(channels.first?["name"] as? String == "psa")
            #expect(channels.first?["waiting"] as? Int == 2, "\(status.stdout)")
            #expect((channels.first?["last_error"] as? String)?.contains("HTTP 503") == true, "\(status.stdout)")
            let open = document?["open_breaches"] as? [[String: Any]] ?? []
            #expect(Set(open.compactMap { $0["kind"] as? String }) == ["failed_test", "never_verified"])
            let table = try Shell.execute(BuiltBinary.path, ["notify", "status", "--config", config]).stdout
            #expect(table.contains("psa") && table.contains("acme    fileserver  failed_test"), "\(table)")

            receiver.set(mode: "ok")
            try fixture.mendArchive()
            #expect(try fixture.run(config).status == 0)
            let deliveries = receiver.deliveries
            // failed_test and never_verified opened by the first run, then both resolved, in order.
            #expect(deliveries.map { $0.data["state"] as? String } == ["opened", "opened", "resolved", "resolved"])
            #expect(Set(deliveries.prefix(2).map { $0.data["kind"] as? String }) == ["failed_test", "never_verified"])
            #expect(deliveries.prefix(2).map { $0.data["breach_id"] as? String } == deliveries.suffix(2).map { $0.data["breach_id"] as? String },
                    "resolved in the order opened")
            let after = try Shell.execute(BuiltBinary.path, ["notify", "status", "--config", config]).stdout
            #expect(after.contains("No breach is open."), "\(after)")
        }
    }

    @Test func aCredentialInTheURLIsUsedButNeverLogged() async throws {
        try await Blocking.run {
            let fixture = try Fixture("notify-redact")
            let receiver = try WebhookReceiver(in: fixture.temp, mode: "down")
            let config = try fixture.config(url: "http://hookuser:hunter2@127.0.0.1:\(receiver.port)/hooks?token=s3cr3t")
            try fixture.breakArchive()
            let failed = try fixture.run(config)
            #expect(failed.status == 1)
            #expect(failed.stderr.contains("HTTP 503"), "\(failed.stderr)")
            #expect(!failed.stderr.contains("hunter2") && !failed.stderr.contains("s3cr3t"), "\(failed.stderr)")
            #expect(failed.stderr.contains("http://REDACTED@127.0.0.1:\(receiver.port)/hooks?REDACTED"), "\(failed.stderr)")
            #expect(!failed.stderr.contains(fixture.key))

            receiver.set(mode: "ok")
            #expect(try fixture.run(config).status == 1)
            let sent = receiver.deliveries
            #expect(sent.count == 2)
            #expect(sent.first?.headers["authorization"] == "Basic " + Data("hookuser:hunter2".utf8).base64EncodedString())
        }
    }

    @Test func aChannelsFiltersChooseItsEvents() async throws {
        try await Blocking.run {
            let fixture = try Fixture("notify-filter")
            let receiver = try WebhookReceiver(in: fixture.temp)
            let config = try fixture.config(url: receiver.url, channel: "    events: [ resolved ]\n    kinds: [ failed_test ]\n    tenants: [ acme ]")
            try fixture.breakArchive()
            #expect(try fixture.run(config).status == 1)
            #expect(receiver.deliveries.isEmpty, "opened events are not this channel's")
            try fixture.mendArchive()
            #expect(try fixture.run(config).status == 0)
            #expect(receiver.deliveries.map { "\($0.data["kind"] ?? "")/\($0.data["state"] ?? "")" } == ["failed_test/resolved"])
        }
    }

    @Test func badNotifyConfigIsNamedWithItsLine() async throws {
        try await Blocking.run {
            let fixture = try Fixture("notify-config")
            let cases: [(String, String)] = [
                ("url: \"http://psa.example/hook\", secret_file: k", "use https"),
                ("url: \"ftp://psa.example/hook\", secret_file: k", "is not an http(s) URL"),
                ("url: \"https://psa.example/hook\"", "missing required key 'secret_file'"),
            ]
            for (webhook, message) in cases {
                let config = try fixture.temp.write("bad.yaml", """
                    targets:
                      - { name: fileserver, tenant: acme, archives: \(fixture.archive), rpo: 1d, rto: 1h }
                    notify:
                      - name: psa
                        webhook: { \(webhook) }
                    """)
                let result = try Shell.execute(BuiltBinary.path, ["check-config", "--config", config])
                #expect(result.status == 2, "\(webhook)")
                #expect(result.stderr.contains("bad.yaml:5"), "\(result.stderr)")
                #expect(result.stderr.contains(message), "\(result.stderr)")
            }
            let unknown = try fixture.temp.write("tenant.yaml", """
                targets:
                  - { name: fileserver, tenant: acme, archives: \(fixture.archive), rpo: 1d, rto: 1h }
                notify:
                  - { name: psa, webhook: { url: "https://psa.example/h", secret_file: k }, tenants: [ globex ], events: [ opened ] }
                """)
            let result = try Shell.execute(BuiltBinary.path, ["check-config", "--config", unknown])
            #expect(result.status == 2)
            #expect(result.stderr.contains("'globex', which no target has"), "\(result.stderr)")
        }
    }

    @Test func aDaemonKilledBetweenCommitAndAcknowledgementSendsAgainAfterRestart() async throws {
        try await Blocking.run {
            let fixture = try Fixture("notify-kill")
            let receiver = try WebhookReceiver(in: fixture.temp, mode: "hang")
            let config = try fixture.config(url: receiver.url)
            try fixture.breakArchive()
            let first = try DaemonProcess(config: config, in: fixture.temp)
            // The scheduler tests the target at once; its events are committed, and the first is in flight.
            let inFlight = Loopback.eventually(timeout: 60) { receiver.deliveries.first }
            #expect(inFlight?.answered == false, "\(first.log)")
            first.signal(SIGKILL)
            #expect(first.waitForExit() != nil)
            receiver.set(mode: "ok")

            let second = try DaemonProcess(config: config, in: fixture.temp)
            defer { second.signal(SIGTERM); _ = second.waitForExit() }
            let answered = Loopback.eventually(timeout: 60) {
                let done = receiver.deliveries.filter(\.answered)
                return done.count >= 2 ? done : nil
            }
            let delivered = try #require(answered, "\(second.log)")
            #expect(delivered.map { $0.data["state"] as? String } == ["opened", "opened"])
            #expect(delivered.first?.data["breach_id"] as? String == inFlight?.data["breach_id"] as? String,
                    "the event in flight at the kill is sent again under its id")
            #expect(Set(delivered.map { $0.data["breach_id"] as? String }).count == 2, "each breach delivered, none doubled after the restart")
            let drained = Loopback.eventually(timeout: 30) { second.metrics()?.contains("\nrestorecheck_notify_waiting_events 0.0\n") == true ? true : nil }
            #expect(drained == true, "the outbox is empty, as /metrics says: \(second.metrics()?.split(separator: "\n").filter { $0.contains("notify") } ?? [])")
        }
    }

    @Test func anEmailPerEventOverSTARTTLSWithPlainTextAndHTML() async throws {
        try await Blocking.run {
            let fixture = try Fixture("notify-mail")
            let sink = try SMTPSink(in: fixture.temp)
            try fixture.breakArchive()
            let config = try fixture.mailConfig(sink, channel: "    only: breaches")
            let failed = try fixture.run(config)
            #expect(failed.status == 1)
            #expect(!failed.stderr.contains("not delivered"), "\(failed.stderr)")
            let messages = try sink.messages.map { try SMTPSink.parse($0, in: fixture.temp) }
            let subjects = messages.compactMap { $0["subject"] as? String }.sorted()
            #expect(subjects == [
                "[restorecheck] Breach opened: failed_test acme/fileserver",
                "[restorecheck] Breach opened: never_verified acme/fileserver",
            ])
            for message in messages {
                #expect(message["from"] as? String == "restorecheck@msp.example")
                #expect(message["to"] as? String == "noc@msp.example, oncall@msp.example")
                let parts = message["parts"] as? [[String: Any]] ?? []
                #expect(parts.map { $0["type"] as? String } == ["text/plain", "text/html"])
                #expect((parts.first?["text"] as? String)?.contains("Tenant: acme\nTarget: fileserver") == true)
                #expect((parts.last?["text"] as? String)?.contains("<th align=\"left\">Tenant</th><td>acme</td>") == true)
            }
            try fixture.mendArchive()
            #expect(try fixture.run(config).status == 0)
            #expect(sink.messages.count == 2, "only: breaches sends no all-clear")
        }
    }

    @Test func aRejectedPasswordLeavesTheEventInTheOutboxAndNeverInTheLog() async throws {
        try await Blocking.run {
            let fixture = try Fixture("notify-mail-auth")
            let sink = try SMTPSink(in: fixture.temp)
            try fixture.breakArchive()
            let wrong = "not-\(sink.password)"
            let failed = try fixture.run(try fixture.mailConfig(sink, password: wrong))
            #expect(failed.status == 1)
            #expect(failed.stderr.contains("not delivered"), "\(failed.stderr)")
            #expect(failed.stderr.contains("stay in the outbox"))
            #expect(!failed.stderr.contains(wrong) && !failed.stderr.contains(sink.password))
            #expect(sink.messages.isEmpty)

            let fixed = try fixture.run(try fixture.mailConfig(sink))
            #expect(fixed.status == 1, "\(fixed.stderr)")
            #expect(sink.messages.count == 2, "the first run's two events, sent once each: the second run's test reopened nothing")
        }
    }
}
