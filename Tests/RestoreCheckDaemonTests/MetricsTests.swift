import Foundation

import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore
@testable import RestoreCheckMetrics
import ObjectStorage

@Suite("Metrics: exposition, promtool, lifecycle of series")
struct MetricsTests {
    func target(_ name: String, tenant: String = "acme") -> Target {
        Target(
            name: name, tenant: tenant, archiveGlob: "/b/\(name)", manifestTemplate: nil, rpo: TimeSpan(seconds: 93_600),
            rto: TimeSpan(seconds: 7200), schedule: Schedule(every: TimeSpan(seconds: 21_600)))
    }

    func outcome(_ target: String, _ status: OutcomeStatus, mismatches: Int = 0) -> Outcome {
        var outcome = Outcome.fixture(
            target: target, status: status, backup: Date(timeIntervalSince1970: 1_700_000_000),
            started: Date(timeIntervalSince1970: 1_700_003_000), finished: Date(timeIntervalSince1970: 1_700_003_600),
            findings: (0..<mismatches).map { Finding(path: "f\($0)", reason: .checksumMismatch) })
        outcome.restoreSeconds = 12.5
        outcome.projectedFullRestoreSeconds = 3600
        outcome.filesVerified = 20
        outcome.bytesRestored = 4096
        outcome.rpoSeconds = 93_600
        outcome.rtoSeconds = 7200
        return outcome
    }

    /// Parses the exposition into `name{labels}` → value (the format's order is not deterministic).
    func samples(_ text: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            result[String(line[..<space])] = Double(line[line.index(after: space)...])
        }
        return result
    }

    @Test func exposionMatchesOutcomesAndPassesPromtool() throws {
        let metrics = OutcomeMetrics(version: "9.9.9")
        metrics.configure(targets: [target("fs"), target("mail")])
        var covered = outcome("fs", .passed)
        covered.coverage = CoverageSummary(
            windowSeconds: 30 * 86_400, files: 200, filesVerified: 50, bytes: 1000, bytesVerified: 750, failingShareBound: 0.05,
            filesPerTestNeeded: nil)
        metrics.record(covered)
        var validated = outcome("mail", .failed, mismatches: 3)
        validated.filesValidated = 4
        validated.validationSeconds = 2.5
        validated.findings.append(Finding(path: "db/app.dump", reason: .validationFailed, detail: "pg_dump: cut short"))
        metrics.record(validated)
        metrics.configLoaded(successfully: true, at: Date(timeIntervalSince1970: 1_700_000_500))
        let text = metrics.expositionText()
        let values = samples(text)
        let fs = #"{tenant="acme",target="fs"}"#
        let mail = #"{tenant="acme",target="mail"}"#
        #expect(values["restorecheck_restore_success\(fs)"] == 1)
        #expect(values["restorecheck_restore_success\(mail)"] == 0)
        #expect(values["restorecheck_restore_checksum_mismatches\(mail)"] == 3)
        #expect(values["restorecheck_last_run_timestamp_seconds\(fs)"] == 1_700_003_600)
        #expect(values["restorecheck_last_success_timestamp_seconds\(fs)"] == 1_700_003_600)
        #expect(values["restorecheck_last_success_timestamp_seconds\(mail)"] == nil, "never passed")
        #expect(values["restorecheck_verified_backup_timestamp_seconds\(fs)"] == 1_700_000_000)
        #expect(values["restorecheck_latest_backup_timestamp_seconds\(mail)"] == 1_700_000_000)
        #expect(values["restorecheck_restore_duration_seconds\(fs)"] == 12.5)
        #expect(values["restorecheck_projected_full_restore_seconds\(fs)"] == 3600)
        #expect(values["restorecheck_rto_target_seconds\(fs)"] == 7200)
        #expect(values["restorecheck_rpo_target_seconds\(fs)"] == 93_600)
        #expect(values["restorecheck_test_interval_seconds\(fs)"] == 21_600)
        #expect(values["restorecheck_restore_verified_files\(fs)"] == 20)
        #expect(values["restorecheck_restore_verified_bytes\(fs)"] == 4096)
        #expect(values["restorecheck_coverage_files_ratio\(fs)"] == 0.25)
        #expect(values["restorecheck_coverage_bytes_ratio\(fs)"] == 0.75)
        #expect(values["restorecheck_coverage_files_ratio\(mail)"] == nil, "only targets with coverage")
        #expect(values["restorecheck_validation_files\(mail)"] == 4)
        #expect(values["restorecheck_validation_failures\(mail)"] == 1)
        #expect(values["restorecheck_validation_duration_seconds\(mail)"] == 2.5)
        #expect(values["restorecheck_validation_files\(fs)"] == nil, "only targets with validate")
        #expect(values["restorecheck_runs_total\(fs)"] == 1)
        #expect(values["restorecheck_run_failures_total\(mail)"] == 1)
        #expect(values["restorecheck_run_failures_total\(fs)"] == 0)
        #expect(values["restorecheck_verified_bytes_total\(fs)"] == 4096)
        #expect(values["restorecheck_run_in_progress\(fs)"] == 0)
        #expect(values["restorecheck_target_info\(fs)"] == 1)
        #expect(values[#"restorecheck_build_info{version="9.9.9"}"#] == 1)
        #expect(values["restorecheck_config_last_reload_successful"] == 1)
        // Only tenant and target as labels (build_info's version is the convention's one exception).
        for key in values.keys where key.contains("{") && !key.hasPrefix("restorecheck_build_info") {
            #expect(key.hasSuffix(fs) || key.hasSuffix(mail), "unexpected labels in \(key)")
        }
        let lint = try Shell.execute("/usr/bin/promtool", ["check", "metrics"], input: Data(text.utf8))
        #expect(lint.status == 0, "promtool: \(lint.stdout) \(lint.stderr)")
    }

    /// An s3 target counts what its tests read from object storage (the egress they cost); other
    /// targets have no such series.
    @Test func objectStorageTargetsCountBytesRequestsAndRetries() throws {
        let metrics = OutcomeMetrics(version: "1")
        var offsite = target("offsite")
        offsite.objectStorage = ObjectStorageTarget(bucket: .init(endpoint: "https://s3.example.com", bucket: "b"), keyGlob: "k/*")
        metrics.configure(targets: [offsite, target("fs")])
        for retries in [0, 2] {
            var read = outcome("offsite", .passed)
            read.sourceRead = SourceRead(bytesFetched: 1_000_008, objectBytes: 1_000_000, requests: 3, retries: retries, spooled: false)
            read.sourceRead?.budgetRemainingBytes = retries == 0 ? 5_000_000 : 3_999_992
            metrics.record(read)
        }
        metrics.record(outcome("fs", .passed))
        let text = metrics.expositionText()
        let values = samples(text)
        let labels = #"{tenant="acme",target="offsite"}"#
        #expect(values["restorecheck_source_bytes_fetched_total\(labels)"] == 2_000_016)
        #expect(values["restorecheck_source_requests_total\(labels)"] == 6)
        #expect(values["restorecheck_source_retries_total\(labels)"] == 2)
        #expect(values["restorecheck_source_egress_budget_remaining_bytes\(labels)"] == 3_999_992, "the newest test's")
        #expect(!values.keys.contains { $0.hasPrefix("restorecheck_source_") && $0.contains(#"target="fs""#) })
        let lint = try Shell.execute("/usr/bin/promtool", ["check", "metrics"], input: Data(text.utf8))
        #expect(lint.status == 0, "promtool: \(lint.stdout) \(lint.stderr)")
    }

    @Test func neverTestedTargetsHaveNoOutcomeSeries() {
        let metrics = OutcomeMetrics(version: "1")
        metrics.configure(targets: [target("new")])
        let values = samples(metrics.expositionText())
        #expect(values[#"restorecheck_target_info{tenant="acme",target="new"}"#] == 1)
        #expect(values.keys.allSatisfy { !$0.hasPrefix("restorecheck_restore_success") && !$0.hasPrefix("restorecheck_last_run") })
    }

    @Test func seriesVanishWhenATargetLeavesTheConfig() {
        let metrics = OutcomeMetrics(version: "1")
        metrics.configure(targets: [target("fs"), target("old")])
        metrics.record(outcome("old", .passed))
        #expect(metrics.expositionText().contains(#"target="old""#))
        metrics.configure(targets: [target("fs")])
        #expect(!metrics.expositionText().contains(#"target="old""#))
        // Moving a target to another tenant replaces its series too.
        metrics.configure(targets: [target("fs", tenant: "globex")])
        #expect(!metrics.expositionText().contains(#"tenant="acme""#))
        #expect(metrics.expositionText().contains(#"restorecheck_target_info{tenant="globex",target="fs"}"#))
    }

    @Test func seedsFromHistoryFillSeriesAtStartUp() {
        let metrics = OutcomeMetrics(version: "1")
        let seed = OutcomeMetrics.Seed(
            latest: outcome("fs", .failed),
            verified: VerifiedRestorePoint(backup: Date(timeIntervalSince1970: 1_600_000_000), verifiedAt: Date(timeIntervalSince1970: 1_600_000_100)))
        metrics.configure(targets: [target("fs")], seeds: ["fs": seed])
        let values = samples(metrics.expositionText())
        #expect(values[#"restorecheck_restore_success{tenant="acme",target="fs"}"#] == 0)
        #expect(values[#"restorecheck_verified_backup_timestamp_seconds{tenant="acme",target="fs"}"#] == 1_600_000_000)
        #expect(values[#"restorecheck_last_success_timestamp_seconds{tenant="acme",target="fs"}"#] == 1_600_000_100)
        #expect(values[#"restorecheck_runs_total{tenant="acme",target="fs"}"#] == 0, "counters count this process")
    }

    @Test func gzipIsRealGzip() throws {
        let text = String(repeating: "restorecheck_restore_success{tenant=\"a\",target=\"b\"} 1.0\n", count: 200)
        let compressed = try Gzip.compress(Array(text.utf8))
        #expect(compressed.count < text.utf8.count / 5)
        let temp = TemporaryDirectory("gz")
        try temp.write("m.gz", Data(compressed))
        #expect(try Shell.run("gunzip -c m.gz", in: temp.path).stdout == text)
    }

    @Test(arguments: [
        ("gzip", true), ("gzip, deflate, br", true), ("deflate;q=1, gzip;q=0.5", true), ("gzip;q=0", false),
        ("identity", false), ("*", true), ("GZIP", true),
    ])
    func acceptEncoding(header: String, gzip: Bool) {
        #expect(MetricsEndpoint.acceptsGzip(header) == gzip)
    }

    @Test(arguments: [
        ("127.0.0.1:9947", "127.0.0.1", 9947, true), ("[::1]:9000", "::1", 9000, true), (":9947", "0.0.0.0", 9947, false),
        ("10.0.0.5:80", "10.0.0.5", 80, false), ("localhost:1", "localhost", 1, true),
    ])
    func listenAddresses(text: String, host: String, port: Int, loopback: Bool) throws {
        let address = try ListenAddress(parsing: text)
        #expect(address.host == host && address.port == port && address.isLoopback == loopback)
    }

    @Test func badListenAddresses() {
        for text in ["9947", "host:", "host:99999", "host:x"] {
            #expect(throws: ListenAddress.ParseError.self) { try ListenAddress(parsing: text) }
        }
    }

    @Test func expositionIsCachedUntilSomethingChanges() throws {
        let metrics = OutcomeMetrics(version: "1")
        metrics.configure(targets: [target("fs")])
        let first = metrics.render(gzip: true)
        #expect(first.gzipped)
        #expect(metrics.render(gzip: true).bytes == first.bytes)
        #expect(!metrics.expositionText().contains("restorecheck_restore_success"))
        metrics.record(outcome("fs", .passed))
        // A change invalidates the cache: the next scrape sees the new outcome.
        let second = metrics.render(gzip: true)
        #expect(second.bytes != first.bytes)
        let temp = TemporaryDirectory("gz2")
        try temp.write("m.gz", Data(second.bytes))
        #expect(try Shell.run("gunzip -c m.gz", in: temp.path).stdout.contains(#"restorecheck_restore_success{tenant="acme",target="fs"} 1.0"#))
        #expect(String(decoding: metrics.exposition(), as: UTF8.self).contains(#"restorecheck_restore_success{tenant="acme",target="fs"} 1.0"#))
    }
}
