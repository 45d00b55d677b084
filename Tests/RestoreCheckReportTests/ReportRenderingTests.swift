import Foundation
@testable import RestoreCheckCore
@testable import RestoreCheckReport
import RestoreCheckStore
import RestoreCheckStoreTestSupport
import RestoreCheckTestSupport
import Testing

/// The formats a person reads: HTML opened in a real headless Chromium with the network blocked,
/// Markdown, and templates an MSP brands.
@Suite("Report rendering", .serialized)
struct ReportRenderingTests {
    typealias H = SyntheticHistory

    static func report(_ temp: TemporaryDirectory, company: String? = "Example MSP") throws -> TenantReport {
        try ReportBuilder(history: try ReportLogicTests.history(in: temp))
            .build(tenant: "acme", targets: ReportLogicTests.targets, from: H.at(0), to: H.at(90), company: company)
    }

    /// `chromium --headless` on a file, offline: every request goes to a closed port.
    static func chromium(_ arguments: [String], page: String, in temp: TemporaryDirectory) throws -> Shell.Result {
        try Shell.execute(
            "/usr/bin/chromium",
            ["--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
             "--disable-background-networking", "--no-first-run", "--user-data-dir=\(temp.url("chromium-profile"))"]
                + arguments + ["file://\(page)"])
    }

    @Test func theHTMLRendersInARealBrowserWithTheJSONReportsNumbers() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("report-browser")
            let report = try Self.report(temp)
            let renderer = try ReportRenderer()
            let page = try temp.write("acme.html", try renderer.render(report, as: .html).text)
            let json = try TenantReport.jsonDecoder().decode(TenantReport.self, from: Data(try renderer.render(report, as: .json).text.utf8))

            let netLog = temp.url("net-log.json")
            let dom = try Self.chromium(["--dump-dom", "--log-net-log=\(netLog)"], page: page, in: temp)
            #expect(dom.status == 0, "\(dom.stderr)")
            let html = dom.stdout
            for target in json.targets {
                let row = try #require(Self.summaryRow(target.target, in: html), "summary row for \(target.target)")
                #expect(Self.cell("rpo-compliance", in: row) == ReportFormat.percent(target.rpoCompliancePercent))
                #expect(Self.cell("rto-compliance", in: row) == ReportFormat.percent(target.rtoCompliancePercent))
                #expect(html.contains("<section class=\"charts\" data-target=\"\(target.target)\">"))
            }
            #expect(Self.cell("rpo-compliance", in: Self.summaryRow("fs", in: html) ?? "") == "82.94 %", "as a person reads it")
            // The headline: one line per backup, its state in words and a glyph as well as colour.
            for target in json.targets {
                let state = target.verifiedBackupTimestamp == nil ? "never" : (target.rpoMet ? "verified" : "breached")
                let label = ["verified": "✓ Verified", "breached": "✗ Breached", "never": "? Never verified"][state]!
                #expect(html.contains("<li class=\"state-\(state)\"><span class=\"state\">\(label)</span> \(target.target) "), "\(target.target): \(state)")
            }
            #expect(Set(json.targets.map { $0.verifiedBackupTimestamp == nil ? "never" : ($0.rpoMet ? "verified" : "breached") }).count >= 2,
                    "the fixture shows more than one state")
            #expect(Self.count("<tr class=\"open\" data-kind=", in: html) == json.breaches.count { $0.isOpen })
            #expect(Self.count("<tr data-run=", in: html) == json.evidence.count)
            #expect(Self.count("<polyline class=\"series\"", in: html) == 1, "fs has one age line; mail and db none")
            // Nothing left the page: Chromium's own network log has no request made for it (its
            // background requests to Google's update services are not the page's).
            #expect(try Self.requestsMadeByThePage(netLog: netLog) == [])
            #expect(html.contains("default-src 'none'"))
            // The check can fail: a page with one external image is caught.
            let control = try temp.write("control.html", "<!DOCTYPE html><html><body><img src=\"http://example.invalid/logo.png\"></body></html>")
            _ = try Self.chromium(["--dump-dom", "--log-net-log=\(temp.url("control-log.json"))"], page: control, in: temp)
            #expect(try Self.requestsMadeByThePage(netLog: temp.url("control-log.json")) == ["http://example.invalid/logo.png"])

            let png = temp.url("acme.png")
            let shot = try Self.chromium(["--screenshot=\(png)", "--window-size=1200,2400", "--hide-scrollbars"], page: page, in: temp)
            #expect(shot.status == 0, "\(shot.stderr)")
            let bytes = try #require(FileManager.default.contents(atPath: png))
            #expect(bytes.count > 20_000 && bytes.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]), "a real screenshot")
        }
    }

    @Test func markdownHasTheSameNumbersAndNoHTMLEscaping() throws {
        let temp = TemporaryDirectory("report-markdown")
        let report = try Self.report(temp, company: "Smith & Sons IT")
        let text = try ReportRenderer().render(report, as: .markdown).text
        #expect(text.hasPrefix("# Restore assurance report: acme"))
        #expect(text.contains("Prepared by Smith \\& Sons IT."), "MARKDOWN content type: a backslash escape, never an HTML entity")
        #expect(text.contains("| fs | 1d0h | 1d6h | passed | 82.94 % | 98.71 % | 80 (74 / 4 / 2) | 1560 |"))
        #expect(text.contains("| mail | Never verified |"))
        #expect(text.contains("- **✓ Verified**: fs is verified restorable: its newest verified restore point is 1d0h old, within the RPO of 1d6h."), "\(text.prefix(1200))")
        #expect(text.contains("- **? Never verified**: mail has never been verified: no restore test of this backup has passed."))
        #expect(text.contains("  - and 1 more finding(s)"))
    }

    @Test func htmlEscapesWhatTheHistoryHolds() throws {
        let temp = TemporaryDirectory("report-escape")
        let store = try HistoryStore(path: temp.url("history.sqlite"))
        let id = try store.beginRun(target: "fs", tenant: "acme", started: H.started(0), origin: "run")
        var outcome = Outcome.fixture(
            status: .failed, backup: H.at(0), started: H.started(0), finished: H.finished(0),
            findings: [Finding(path: "<img src=x onerror=alert(1)>", reason: .checksumMismatch)])
        outcome.summary = "x"
        outcome.archive = "/b/<script>alert(1)</script>.tar"
        outcome.sample = "20 files"
        outcome.seed = 1
        outcome.filesVerified = 1
        outcome.bytesRestored = 1
        outcome.rtoSeconds = 60
        outcome.rtoMet = true
        try store.complete(runID: id, outcome: outcome)
        let report = try ReportBuilder(history: store).build(
            tenant: "acme", targets: [ReportTarget(name: "fs", rpoSeconds: 86_400, rtoSeconds: 60)], from: H.at(0), to: H.at(1))
        let html = try ReportRenderer().render(report, as: .html).text
        #expect(!html.contains("<script>") && !html.contains("<img src=x"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    }

    @Test func aTemplateDirectoryBrandsTheReportAndABrokenTemplateIsNamed() throws {
        let temp = TemporaryDirectory("report-brand")
        let report = try Self.report(temp)
        _ = try temp.write("templates/style.mustache", "body { font-family: 'Brand Sans'; }")
        _ = try temp.write("logo.png", Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        let settings = ReportSettings(company: "Brand Co", logoPath: temp.url("logo.png"), templateDirectory: temp.url("templates"))
        let html = try ReportRenderer(settings: settings).render(report, as: .html).text
        #expect(html.contains("font-family: 'Brand Sans'"), "the partial was replaced")
        #expect(html.contains("<img class=\"logo\" src=\"data:image/png;base64,iVBORw0KGgo=\""), "the logo is embedded, not linked")
        #expect(html.contains("82.94 %"), "the numbers are untouched")

        _ = try temp.write("templates/report.md.mustache", "{{#targets}}{{target}}\n")
        #expect(throws: ReportRenderer.TemplateError.self) { try ReportRenderer(settings: settings) }
        do {
            _ = try ReportRenderer(settings: settings)
        } catch {
            #expect("\(error)".hasPrefix(temp.url("templates/report.md.mustache")), "\(error)")
        }
        let gif = ReportSettings(logoPath: try temp.write("logo.gif", "GIF89a"))
        #expect(throws: ReportRenderer.TemplateError.self) { try ReportRenderer(settings: gif) }
    }

    /// URLs other than `file:` that Chromium started a request for on behalf of a local page, from
    /// its `--log-net-log` (a page's requests carry a `file://` network isolation key).
    static func requestsMadeByThePage(netLog: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: netLog))
        let log = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let types = try #require((log["constants"] as? [String: Any])?["logEventTypes"] as? [String: Int])
        let startJob = try #require(types["URL_REQUEST_START_JOB"])
        let events = try #require(log["events"] as? [[String: Any]])
        return events.compactMap { event -> String? in
            guard event["type"] as? Int == startJob, let params = event["params"] as? [String: Any],
                let url = params["url"] as? String, !url.hasPrefix("file:"),
                (params["network_isolation_key"] as? String)?.hasPrefix("file://") == true
            else { return nil }
            return url
        }
    }

    static func summaryRow(_ target: String, in html: String) -> String? {
        guard let table = html.range(of: "<table class=\"summary\""), let start = html.range(of: "<tr data-target=\"\(target)\">", range: table.upperBound..<html.endIndex),
            let end = html.range(of: "</tr>", range: start.upperBound..<html.endIndex)
        else { return nil }
        return String(html[start.upperBound..<end.lowerBound])
    }

    static func cell(_ className: String, in row: String) -> String? {
        guard let start = row.range(of: "<td class=\"\(className)\">"), let end = row.range(of: "</td>", range: start.upperBound..<row.endIndex) else { return nil }
        return String(row[start.upperBound..<end.lowerBound])
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }
}

/// Long reports render in chunks on all cores; the pieces must add up to exactly the one-piece result.
@Suite("Report rendering in pieces")
struct ReportPiecesTests {
    /// A report with 1,234 tests (three chunks of evidence) built in memory.
    static func longReport() -> TenantReport {
        let start = Date(timeIntervalSince1970: 1_767_225_600)
        let evidence = (0..<1_234).reversed().map { (index: Int) -> EvidenceRun in
            let failed = index % 100 == 7
            let finished = start.addingTimeInterval(Double(index) * 3_600 + 5)
            let findings = failed ? [Finding(path: "a&b.txt", reason: .checksumMismatch)] : []
            return EvidenceRun(
                runId: Int64(index + 1), target: "t\(index % 3)", started: finished.addingTimeInterval(-5), finished: finished,
                status: failed ? .failed : .passed, reasons: failed ? ["checksum_mismatch"] : [], archive: "/b/<t\(index % 3)>-\(index).tar",
                archiveBytes: 1_000, backupTimestamp: start, manifestSha256: nil, sample: "20 files", seed: "\(index)", filesVerified: 20,
                bytesVerified: 2_000, restoreSeconds: 1, projectedFullRestoreSeconds: 60, findings: findings, findingsOmitted: 0,
                entryHash: String(repeating: "a", count: 64))
        }
        let summary = TargetSummary(
            target: "t0", rpoSeconds: 86_400, rtoSeconds: 3_600, verifiedBackupAgeSeconds: 10, verifiedBackupTimestamp: start, rpoMet: true,
            lastResult: .passed, lastTest: start, lastReasons: [], rpoCompliancePercent: 99.5, measuredSeconds: 100,
            rtoCompliancePercent: 100, tests: TestCounts(run: 1_234, passed: 1_222, failed: 12), filesVerified: 1, bytesVerified: 1,
            openBreaches: 0,
            chart: ChartSeries(verifiedAge: [[.init(time: start, ageSeconds: 1), .init(time: start.addingTimeInterval(9), ageSeconds: 10)]], restoreTimes: []))
        return TenantReport(
            tenant: "acme", company: nil, generated: start.addingTimeInterval(5_000_000),
            period: .init(from: start, to: start.addingTimeInterval(5_000_000)), targets: [summary, summary], breaches: [], evidence: evidence)
    }

    @Test func jsonInPiecesEqualsTheWholeReportEncodedAtOnce() throws {
        let report = Self.longReport()
        let rendered = try ReportRenderer().render(report, as: .json)
        #expect(rendered.pieces.count > 4, "evidence and targets were spliced in chunks")
        #expect(rendered.text == String(decoding: try TenantReport.jsonEncoder().encode(report), as: UTF8.self) + "\n")
    }

    @Test func htmlEvidenceRowsComeInOrderAndEscapedAcrossChunks() throws {
        let html = try ReportRenderer().render(Self.longReport(), as: .html).text
        let ids = html.components(separatedBy: "<tr data-run=\"").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        #expect(ids == Array((1...1_234).reversed()), "every test once, newest first")
        #expect(html.contains("/b/&lt;t1&gt;-1000.tar") && html.contains("a&amp;b.txt"))
        #expect(!html.contains("\u{1}"), "the placeholder for the rows never reaches the output")
    }
}

/// Reports in other languages: the built-in German catalogue, and a third language as one file.
@Suite("Report languages")
struct ReportLanguageTests {
    typealias H = SyntheticHistory

    @Test func theGermanReportHasGermanHeadingsDecimalCommasAndDayFirstDates() throws {
        let temp = TemporaryDirectory("report-de")
        let report = try ReportRenderingTests.report(temp)
        let german = try ReportLanguage.load("de", templateDirectory: nil)
        let renderer = try ReportRenderer()
        let html = try renderer.render(report, as: .html, language: german).text
        let english = try renderer.render(report, as: .html).text
        #expect(html.contains("<html lang=\"de\">"))
        #expect(html.contains("<h1>Wiederherstellungsnachweis: acme</h1>"))
        for heading in ["1. Übersicht", "2. Verletzungsprotokoll", "3. Diagramme", "4. Nachweise", "5. Nachweise je Kontrolle", "6. Methode"] {
            #expect(html.contains("<h2>\(heading)</h2>"), "\(heading)")
        }
        // The same number, as each language writes it.
        #expect(english.contains("82.94 %"))
        #expect(html.contains("82,94 %"), "a decimal comma")
        #expect(!html.contains("82.94 %"))
        #expect(html.contains("Zeitraum 01.01.2026 00:00:00 UTC bis 01.04.2026 00:00:00 UTC"), "day-first dates")
        #expect(html.contains("✓ Geprüft") || html.contains("✗ Verletzt") || html.contains("? Nie geprüft"))
        #expect(html.contains("Test fehlgeschlagen") || html.contains("RPO-Verletzung"), "breach kinds in German")
        #expect(html.contains("fehlgeschlagene(r) Test(s)"), "the ledger's details in German")
        #expect(html.contains("Wiederherstellungstests"), "the method in German")
        #expect(!html.contains("Restore tests") && !html.contains("No breach in the period") && !html.contains("Verified backup age"))
        #expect(html.contains(" T ") || html.contains(" h "), "durations with German units: \(html.prefix(0))")
        let markdown = try renderer.render(report, as: .markdown, language: german).text
        #expect(markdown.contains("## 1. Übersicht"))
        #expect(markdown.contains("| Sicherung | Alter der geprüften Sicherung |"))
        // The JSON report is a contract: the same in every language.
        #expect(try renderer.render(report, as: .json).text == (try renderer.render(report, as: .json, language: german).text))
    }

    @Test func theConfigsBuiltInLocalesAreTheBuiltInCatalogues() throws {
        // The config accepts `ReportLocale.builtIn` without a file; each must load.
        #expect(Set(ReportLocale.builtIn) == Set(BuiltInCatalogues.all.keys))
        for code in ReportLocale.builtIn { #expect(try ReportLanguage.load(code, templateDirectory: nil).code == code) }
    }

    @Test func theEnglishCatalogueWritesWhatTheReportAlwaysSaid() throws {
        let temp = TemporaryDirectory("report-en")
        let report = try ReportRenderingTests.report(temp)
        let markdown = try ReportRenderer().render(report, as: .markdown).text
        #expect(markdown.contains("# Restore assurance report: acme"))
        #expect(markdown.contains("Period 2026-01-01 00:00:00 UTC to 2026-04-01 00:00:00 UTC; generated 2026-04-01 00:00:00 UTC"))
        #expect(markdown.contains("| Backup | Verified backup age | RPO | Last result |"))
        #expect(markdown.contains("## 6. Method"))
    }

    @Test func aThirdLanguageIsOneFileAndFallsBackToEnglishKeyByKey() throws {
        let temp = TemporaryDirectory("report-fr")
        let report = try ReportRenderingTests.report(temp)
        let directory = temp.url("templates")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try temp.write("templates/messages.fr.yaml", """
            format: { decimal: ",", date: dmy, units: { d: j }, unit_space: true }
            messages:
              html_lang: fr
              title: "Rapport de restauration : {tenant}"
              h_summary: "1. Synthèse"
            """)
        var settings = ReportSettings()
        settings.templateDirectory = directory
        let french = try ReportLanguage.load("fr", templateDirectory: directory)
        let html = try ReportRenderer(settings: settings).render(report, as: .html, language: french).text
        #expect(html.contains("<h1>Rapport de restauration : acme</h1>"))
        #expect(html.contains("<h2>1. Synthèse</h2>"))
        #expect(html.contains("<h2>2. Breach ledger</h2>"), "a key the file lacks is English")
        #expect(html.contains("82,94 %"))
        #expect(ReportLocale.isAvailable("fr", templateDirectory: directory))
        #expect(!ReportLocale.isAvailable("it", templateDirectory: directory))
        #expect(throws: ReportLanguage.Failure.self) { try ReportLanguage.load("it", templateDirectory: directory) }
    }
}
