import Foundation
import RestoreCheckTestSupport
import Testing

/// `report --deliver`: a tenant's report mailed through a real SMTP server (aiosmtpd, STARTTLS and
/// AUTH), the PDF opened with poppler and the signed JSON verified with openssl.
@Suite("Report delivery by e-mail from the command line")
struct ReportDeliveryCommandTests {
    func restorecheck(_ arguments: [String]) throws -> Shell.Result {
        try Shell.execute(BuiltBinary.path, arguments)
    }

    func config(_ temp: TemporaryDirectory, sink: SMTPSink, archive: String, delivery: String) throws -> String {
        let passwordFile = try temp.write("smtp.pass", sink.password)
        return try temp.write("restorecheck.yaml", """
            scratch_dir: \(temp.url("scratch"))
            state_dir: \(temp.url("state"))
            defaults: { rpo: 26h, rto: 4h, sample: { files: all } }
            targets:
              - { name: fileserver, tenant: acme, archives: \(archive), manifest: "{archive}.sha256" }
            smtp: { server: "127.0.0.1:\(sink.port)", username: \(sink.user), password_file: \(passwordFile), ca_file: \(sink.certificate),
                    from: reports@msp.example }
            reports:
              deliver:
                - \(delivery)
            """)
    }

    @Test func deliverMailsThePDFWithTheSignedJSONAndItsSignature() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-deliver")
            let sink = try SMTPSink(in: temp)
            let set = try BackupSet.make(.gnuTarGzip, in: temp, name: "fs")
            let config = try config(
                temp, sink: sink, archive: set.archive,
                delivery: "{ tenant: acme, to: [ \"it@acme.example\" ], schedule: \"monthly 1 06:00 Europe/Berlin\", format: pdf }")
            #expect(try restorecheck(["run", "--config", config]).status == 0)
            let sent = try restorecheck(["report", "--config", config, "--tenant", "acme", "--deliver"])
            #expect(sent.status == 0, "\(sent.stderr)")
            #expect(sent.stdout.hasPrefix("sent to it@acme.example: acme-"), "\(sent.stdout)")

            let mail = try SMTPSink.parse(try #require(sink.messages.first), in: temp)
            #expect(sink.messages.count == 1)
            #expect((mail["subject"] as? String)?.hasPrefix("Restore-assurance report acme: ") == true)
            #expect(mail["to"] as? String == "it@acme.example")
            let parts = mail["parts"] as? [[String: Any]] ?? []
            #expect(parts.map { $0["type"] as? String } == ["text/plain", "application/pdf", "application/json", "application/octet-stream"])
            let text = parts.first?["text"] as? String ?? ""
            #expect(text.contains("✓ Verified: fileserver is verified restorable"), "\(text)")

            let pdf = try #require(parts[1]["path"] as? String)
            #expect(pdf.hasSuffix(".pdf"))
            let pdfText = try Shell.execute("/usr/bin/pdftotext", ["-layout", pdf, "-"]).stdout
            #expect(pdfText.contains("Restore assurance report: acme"), "\(pdfText.prefix(400))")
            #expect(pdfText.contains("fileserver"))
            let png = temp.url("page")
            #expect(try Shell.execute("/usr/bin/pdftoppm", ["-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", pdf, png]).status == 0)
            let pngSize = (try? FileManager.default.attributesOfItem(atPath: png + ".png")[.size] as? Int) ?? 0
            #expect(pngSize > 5_000, "the first page renders to an image with content (\(pngSize) bytes)")

            let json = try #require(parts[2]["path"] as? String)
            let signature = try #require(parts[3]["path"] as? String)
            #expect(signature == json + ".sig")
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
            #expect(report?["tenant"] as? String == "acme")
            let key = try temp.write("msp.pub.pem", try restorecheck(["evidence", "public-key", "--config", config]).stdout)
            let verify = try Shell.execute(
                "/bin/sh", ["-c", "openssl pkeyutl -verify -pubin -inkey \"$KEY\" -rawin -in \"$JSON\" -sigfile \"$JSON.sig\""],
                environment: ["KEY": key, "JSON": json])
            #expect(verify.status == 0, "the signed JSON verifies offline: \(verify.stdout)\(verify.stderr)")
            try Data("{}".utf8).write(to: URL(fileURLWithPath: json))
            let forged = try Shell.execute(
                "/bin/sh", ["-c", "openssl pkeyutl -verify -pubin -inkey \"$KEY\" -rawin -in \"$JSON\" -sigfile \"$JSON.sig\""],
                environment: ["KEY": key, "JSON": json])
            #expect(forged.status != 0, "an edited JSON does not")
        }
    }

    @Test func onlyBreachesSendsNothingForACleanPeriodAndAMissingEntryIsNamed() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-deliver-only")
            let sink = try SMTPSink(in: temp)
            let set = try BackupSet.make(.gnuTarGzip, in: temp, name: "fs")
            let config = try config(
                temp, sink: sink, archive: set.archive,
                delivery: "{ tenant: acme, to: [ \"it@acme.example\" ], schedule: \"weekly mon 07:30 UTC\", format: markdown, only: breaches }")
            #expect(try restorecheck(["run", "--config", config]).status == 0)
            let quiet = try restorecheck(["report", "--config", config, "--tenant", "acme", "--deliver"])
            #expect(quiet.status == 0)
            #expect(quiet.stdout.contains("not sent to it@acme.example: no breach in the period"), "\(quiet.stdout)")
            #expect(sink.messages.isEmpty)

            // The same delivery in German, with a breach (a failed test; the first test's restore point
            // stays the verified one): the mail and the report speak German.
            let german = try temp.write("de.yaml", try String(contentsOfFile: config, encoding: .utf8)
                .replacingOccurrences(of: "only: breaches", with: "locale: de"))
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3 * 86_400)], ofItemAtPath: set.archive)
            #expect(try restorecheck(["run", "--config", german]).status == 1, "a restore point three days old: rpo_exceeded")
            #expect(try restorecheck(["report", "--config", german, "--tenant", "acme", "--deliver"]).status == 0)
            let mail = try SMTPSink.parse(try #require(sink.messages.first), in: temp)
            #expect((mail["subject"] as? String)?.hasPrefix("Wiederherstellungsnachweis acme: ") == true, "\(mail["subject"] ?? "")")
            let parts = mail["parts"] as? [[String: Any]] ?? []
            #expect((parts.first?["text"] as? String)?.contains("✓ Geprüft: fileserver ist nachweislich wiederherstellbar") == true, "\(parts.first?["text"] ?? "")")
            let markdown = try String(contentsOfFile: try #require(parts[1]["path"] as? String), encoding: .utf8)
            #expect(markdown.contains("## 2. Verletzungsprotokoll") && markdown.contains("| fileserver | Test fehlgeschlagen |"), "\(markdown.prefix(800))")

            let missing = try restorecheck(["report", "--config", config, "--tenant", "globex", "--deliver"])
            #expect(missing.status == 2)
            let bad = try temp.write("bad.yaml", try String(contentsOfFile: config, encoding: .utf8)
                .replacingOccurrences(of: "weekly mon 07:30 UTC", with: "weekly mon 07:30 Mars/Olympus"))
            let refused = try restorecheck(["check-config", "--config", bad])
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("'Mars/Olympus' is not a time zone"), "\(refused.stderr)")
        }
    }
}
