import Foundation
@testable import RestoreCheckCore
@testable import RestoreCheckReport
import RestoreCheckStore
import RestoreCheckStoreTestSupport
import RestoreCheckTestSupport
import Testing

/// Report numbers from 90 days of history written through the store's API, with known breaches:
/// the ledger, the compliance percentages and the chart points are asserted exactly.
@Suite("Report numbers")
struct ReportLogicTests {
    typealias H = SyntheticHistory
    static let rpo = 30 * 3_600.0
    static let rto = 4 * 3_600.0

    /// fs: daily tests on days 0–89 except 70–79; failed on 30–32, in error on 50–51, over the RTO on
    /// 60. mail: failed on 85–89 and never passed. db: configured, never tested.
    static func history(in temp: TemporaryDirectory) throws -> HistoryStore {
        let store = try HistoryStore(path: temp.url("history.sqlite"))
        let history = H(store: store)
        for day in 0..<90 where !(70..<80).contains(day) {
            var test = H.Test(day: day)
            switch day {
            case 30...32: (test.status, test.reasons, test.findings) = (.failed, [.checksumMismatch], day == 31 ? 4 : 1)
            case 50...51: (test.status, test.reasons) = (.error, [.timeout])
            case 60: (test.status, test.reasons, test.projected) = (.failed, [.rtoExceeded], 5 * 3_600)
            default: break
            }
            try history.record("fs", rpo: rpo, test)
        }
        for day in 85..<90 {
            try history.record("mail", rpo: rpo, H.Test(day: day, status: .failed, reasons: [.checksumMismatch], findings: 1))
        }
        try history.record("other-tenant-fs", tenant: "globex", rpo: rpo, H.Test(day: 10))
        return store
    }

    static let targets = ["fs", "mail", "db"].map { ReportTarget(name: $0, rpoSeconds: rpo, rtoSeconds: rto) }

    @Test func complianceCountsAndTotalsAreExact() throws {
        let temp = TemporaryDirectory("report-numbers")
        let report = try ReportBuilder(history: try Self.history(in: temp))
            .build(tenant: "acme", targets: Self.targets, from: H.at(0), to: H.at(90))
        #expect(report.targets.map(\.target) == ["fs", "mail", "db"], "configured targets, in config order; no other tenant's")
        #expect(!report.evidence.contains { $0.target == "other-tenant-fs" })
        let fs = try #require(report.targets.first)
        let breached = 16 * H.day - 4 * 14_395
        let measured = 90 * H.day - 7_205
        #expect(fs.measuredSeconds == measured)
        #expect(abs(try #require(fs.rpoCompliancePercent) - 100 * (1 - breached / measured)) < 1e-9)
        #expect(abs(try #require(fs.rtoCompliancePercent) - 100 * 77 / 78) < 1e-9, "errors have no projection and are not judged")
        #expect(fs.tests == TestCounts(run: 80, passed: 74, failed: 4, error: 2, aborted: 0))
        #expect(fs.filesVerified == 78 * 20)
        #expect(fs.bytesVerified == 78 * 2_000)
        #expect(fs.verifiedBackupTimestamp == H.at(89))
        #expect(fs.verifiedBackupAgeSeconds == H.day)
        #expect(fs.rpoMet)
        #expect(fs.lastResult == .passed)

        let mail = report.targets[1]
        #expect(mail.rpoCompliancePercent == 0)
        #expect(mail.verifiedBackupAgeSeconds == nil && !mail.rpoMet)
        let db = report.targets[2]
        #expect(db.rpoCompliancePercent == nil && db.rtoCompliancePercent == nil && db.lastResult == nil)
        #expect(db.tests == TestCounts())
        #expect(report.evidence.count == 85)
        #expect(report.evidence.first?.target == "mail" && report.evidence.first?.finished == H.finished(89), "newest first")
    }

    @Test func theLedgerHasEveryBreachWithItsTimesOpenOnesFirst() throws {
        let temp = TemporaryDirectory("report-ledger")
        let report = try ReportBuilder(history: try Self.history(in: temp))
            .build(tenant: "acme", targets: Self.targets, from: H.at(0), to: H.at(90))
        let ledger = report.breaches.map { "\($0.target) \($0.kind.rawValue) \($0.opened.timeIntervalSince(H.t0)) \($0.resolved.map { "\($0.timeIntervalSince(H.t0))" } ?? "open") \($0.tests)" }
        let at = { (day: Int, seconds: Double) in "\(Double(day) * H.day + seconds)" }
        #expect(ledger == [
            "mail failed_test \(at(85, 7_205)) open 5",
            "mail never_verified \(at(85, 7_205)) open 0",
            "db not_tested 0.0 open 0",
            "fs not_tested \(at(76, 7_205)) \(at(80, 7_205)) 0",
            "fs rpo_breach \(at(70, 21_600)) \(at(80, 7_205)) 0",
            "fs rpo_breach \(at(60, 21_600)) \(at(61, 7_205)) 0",
            "fs failed_test \(at(60, 7_205)) \(at(61, 7_205)) 1",
            "fs rto_breach \(at(60, 7_205)) \(at(61, 7_205)) 1",
            "fs rpo_breach \(at(50, 21_600)) \(at(52, 7_205)) 0",
            "fs error_streak \(at(50, 7_205)) \(at(52, 7_205)) 2",
            "fs rpo_breach \(at(30, 21_600)) \(at(33, 7_205)) 0",
            "fs failed_test \(at(30, 7_205)) \(at(33, 7_205)) 3",
        ])
        let failed = try #require(report.breaches.first { $0.kind == .failedTest && $0.target == "fs" && $0.tests == 3 })
        #expect(failed.durationSeconds == 3 * H.day)
        #expect(report.breaches.first?.durationSeconds == H.at(90).timeIntervalSince(H.finished(85)), "open events last until the report's end")
        #expect(report.targets.map(\.openBreaches) == [0, 2, 1])
    }

    @Test func aBreachOpenWhenThePeriodStartsKeepsItsRealOpeningTime() throws {
        let temp = TemporaryDirectory("report-window")
        let report = try ReportBuilder(history: try Self.history(in: temp))
            .build(tenant: "acme", targets: Self.targets, from: H.at(31), to: H.at(40))
        let fs = try #require(report.targets.first)
        let failed = try #require(report.breaches.first { $0.kind == .failedTest && $0.target == "fs" })
        #expect(failed.opened == H.finished(30), "opened before the period, as recorded")
        #expect(report.breaches.filter { $0.target == "fs" }.map(\.kind) == [.rpoBreach, .failedTest])
        // Measured from the period's start (fs was tested before it): in breach until day 33's pass.
        #expect(fs.measuredSeconds == 9 * H.day)
        #expect(abs(try #require(fs.rpoCompliancePercent) - 100 * (1 - (2 * H.day + 7_205) / (9 * H.day))) < 1e-9)
        #expect(fs.tests == TestCounts(run: 9, passed: 7, failed: 2, error: 0, aborted: 0), "days 31–39; 31 and 32 failed")
    }

    @Test func theChartSeriesFollowTheVerifiedAgeAndEachTest() throws {
        let temp = TemporaryDirectory("report-chart")
        let report = try ReportBuilder(history: try Self.history(in: temp))
            .build(tenant: "acme", targets: Self.targets, from: H.at(0), to: H.at(90))
        let fs = try #require(report.targets.first)
        #expect(fs.chart.verifiedAge.count == 1, "a verified point exists from the first test on")
        let points = try #require(fs.chart.verifiedAge.first)
        #expect(points.count == 2 * 74, "two points per stretch between passes")
        let point = { (time: Date, age: Double) in ChartSeries.AgePoint(time: time, ageSeconds: age) }
        #expect(Array(points.prefix(3)) == [point(H.finished(0), 7_205), point(H.finished(1), H.day + 7_205), point(H.finished(1), 7_205)])
        #expect(points.contains(point(H.finished(80), 11 * H.day + 7_205)), "the gap's peak: day 69's backup, 11 days later")
        #expect(points.last == point(H.at(90), H.day))
        #expect(fs.chart.restoreTimes.count == 78, "tests in error have neither a time nor a projection")
        let slow = try #require(fs.chart.restoreTimes.first { $0.time == H.finished(60) })
        #expect(slow.projectedSeconds == 5 * 3_600 && slow.measuredSeconds == H.testSeconds && slow.status == .failed)
        let mail = report.targets[1]
        #expect(mail.chart.verifiedAge.isEmpty, "never verified: no age to draw")
    }

    @Test func evidenceCarriesTheRestorePointSampleFindingsAndChainHash() throws {
        let temp = TemporaryDirectory("report-evidence")
        let report = try ReportBuilder(history: try Self.history(in: temp))
            .build(tenant: "acme", targets: Self.targets, from: H.at(0), to: H.at(90))
        let run = try #require(report.evidence.first { $0.target == "fs" && $0.finished == H.finished(31) })
        #expect(run.status == .failed && run.reasons == ["checksum_mismatch"])
        #expect(run.archive == "/srv/backup/fs-day31.tar.gz" && run.archiveBytes == 1_000_031 && run.backupTimestamp == H.at(31))
        #expect(run.manifestSha256 == String(repeating: "ab", count: 32))
        #expect(run.sample == "20 files" && run.seed == "31")
        #expect(run.findings.count == 3 && run.findingsOmitted == 1, "3 recorded, 1 counted by the worker's cap")
        #expect(run.entryHash?.count == 64)
        let hashes = Set(report.evidence.compactMap(\.entryHash))
        #expect(hashes.count == report.evidence.count, "every run has its own chain hash")
    }

    @Test func aTargetNoLongerConfiguredIsStillReportedWithItsRecordedPromises() throws {
        let temp = TemporaryDirectory("report-removed")
        let report = try ReportBuilder(history: try Self.history(in: temp))
            .build(tenant: "acme", targets: [Self.targets[2]], from: H.at(0), to: H.at(90))
        #expect(report.targets.map(\.target) == ["db", "fs", "mail"])
        #expect(report.targets[1].rpoSeconds == Self.rpo && report.targets[1].rtoSeconds == Self.rto)
        // mail's tests are on days 85–89: a later period without them does not list it.
        let later = try ReportBuilder(history: try HistoryStore(path: temp.url("history.sqlite")))
            .build(tenant: "acme", targets: [Self.targets[2]], from: H.at(91), to: H.at(100))
        #expect(later.targets.map(\.target) == ["db"])
    }

    @Test func theJSONContractRoundTripsWithSnakeCaseKeys() throws {
        let temp = TemporaryDirectory("report-json")
        let report = try ReportBuilder(history: try Self.history(in: temp))
            .build(tenant: "acme", targets: Self.targets, from: H.at(0), to: H.at(90), company: "Example MSP")
        let text = try ReportRenderer().render(report, as: .json).text
        #expect(text.contains("\"rpo_compliance_percent\"") && text.contains("\"entry_hash\"") && text.contains("\"breaches\""))
        #expect(text.contains("\"schema\":1"))
        let decoded = try TenantReport.jsonDecoder().decode(TenantReport.self, from: Data(text.utf8))
        #expect(decoded.targets == report.targets, "summaries and chart series")
        #expect(decoded.breaches == report.breaches)
        #expect(decoded.evidence == report.evidence)
        #expect(decoded.period == report.period && decoded.generated == report.generated && decoded.company == "Example MSP")
    }
}

@Suite("Report formatting")
struct ReportFormatTests {
    @Test func timesAreUTCAndAgreeWithFoundationAcrossCenturiesAndLeapDays() {
        #expect(ReportFormat.time(Date(timeIntervalSince1970: 0)) == "1970-01-01 00:00:00 UTC")
        #expect(ReportFormat.time(Date(timeIntervalSince1970: 951_825_599)) == "2000-02-29 11:59:59 UTC")
        #expect(ReportFormat.time(Date(timeIntervalSince1970: -1)) == "1969-12-31 23:59:59 UTC")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for step in stride(from: -2_208_988_800.0, to: 4_102_444_800, by: 7_776_013.7) {
            let date = Date(timeIntervalSince1970: step)
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            let expected = String(format: "%04d-%02d-%02d %02d:%02d:%02d UTC", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
            #expect(ReportFormat.time(date) == expected)
        }
    }

    @Test func percentagesAreTruncatedNeverRoundedUpToFull() {
        #expect(ReportFormat.percent(99.996) == "99.99 %")
        #expect(ReportFormat.percent(100) == "100 %")
        #expect(ReportFormat.percent(nil) == "—")
        #expect(ReportFormat.percent(0) == "0.00 %")
    }
}

extension ReportFormatTests {
    @Test func byteCountsUseBinaryUnitsWithOneDecimal() {
        #expect(ReportFormat.bytes(1023) == "1023 B")
        #expect(ReportFormat.bytes(1024) == "1.0 KiB")
        #expect(ReportFormat.bytes(3_040_000) == "2.9 MiB")
        #expect(ReportFormat.bytes(1_073_741_824 * 5 / 2) == "2.5 GiB")
        #expect(ReportFormat.bytes(nil) == "—")
    }
}

/// `MonitoringCheck`'s rule that a real history cannot reach in a test's time: a target whose last
/// test finished longer ago than `untestedAfter` is WARNING even when its restore point is within a
/// long RPO (the CLI tests cover every other state with real runs).
@Suite("Monitoring check rules")
struct MonitoringCheckRuleTests {
    @Test func aTargetNotTestedForAWeekIsAWarningEvenWithinItsRPO() throws {
        let temp = TemporaryDirectory("check-rules")
        let config = try ConfigLoader().load(path: try temp.write("c.yaml", """
            targets:
              - { name: archive, tenant: acme, archives: /srv/a.tar, rpo: 30d, rto: 4h }

            """))
        let target = try #require(config.targets.first)
        let now = Date()
        let finished = now.addingTimeInterval(-8 * 86_400)
        let last = RunRecord(
            id: 1, target: "archive", tenant: "acme", status: .passed, reasons: [], origin: "run", started: finished.addingTimeInterval(-60),
            finished: finished, backupTimestamp: finished.addingTimeInterval(-3_600), outcome: nil)
        let verified = VerifiedRestorePoint(backup: finished.addingTimeInterval(-3_600), verifiedAt: finished)
        let state = MonitoringCheck().judge(target, lastFinished: last, verified: verified, now: now)
        #expect(state.state == .warning)
        #expect(state.text == "not tested since \(finished.formatted(.iso8601))")
        #expect(state.age.map { abs($0 - (8 * 86_400 + 3_600)) < 1 } == true)
        // Tested yesterday: OK.
        let recent = MonitoringCheck().judge(target, lastFinished: last, verified: verified, now: finished.addingTimeInterval(86_400))
        #expect(recent.state == .ok && recent.text.hasPrefix("verified restore point 1d1h old (RPO 30d"), "\(recent.text)")
    }
}
