import Foundation
import RestoreCheckDaemon
import RestoreCheckStore
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore
@testable import RestoreCheckMetrics

/// The verified RPO has one rule (`VerifiedRestorePoint`) and four readers: the history (`status`,
/// reports), the live gauges, the textfile exporter, and the gauges seeded at a restart. An older
/// restore point passing after a newer one must move none of them back.
@Suite("Verified restore point: one rule, every output agrees")
struct VerifiedRestorePointTests {
    let newer = Date(timeIntervalSince1970: 1_700_100_000)
    let older = Date(timeIntervalSince1970: 1_700_000_000)

    func outcome(backup: Date, finished: Date, _ status: OutcomeStatus = .passed) -> Outcome {
        var outcome = Outcome.fixture(status: status, backup: backup, started: finished.addingTimeInterval(-60), finished: finished)
        outcome.restoreSeconds = 1
        outcome.filesVerified = 1
        outcome.bytesRestored = 1
        return outcome
    }

    func gauge(_ text: String, _ name: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix("restorecheck_\(name){") }.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }

    @Test func anOlderRestorePointPassingLaterDoesNotMoveItBack() async throws {
        let temp = TemporaryDirectory("vrp")
        let store = try HistoryStore(path: temp.url("state/history.sqlite"))
        let target = Target(
            name: "fs", tenant: "acme", archiveGlob: "/b/fs", manifestTemplate: nil, rpo: TimeSpan(seconds: 86_400),
            rto: TimeSpan(seconds: 3600))
        let live = OutcomeMetrics(version: "1")
        live.configure(targets: [target])
        // The newer archive passes, then last week's archive is re-tested and passes, then one fails.
        let runs = [
            outcome(backup: newer, finished: newer.addingTimeInterval(600)),
            outcome(backup: older, finished: newer.addingTimeInterval(1200)),
            outcome(backup: newer, finished: newer.addingTimeInterval(1800), .failed),
        ]
        for run in runs {
            let id = try await store.beginRun(target: "fs", tenant: "acme", started: run.started, origin: "test")
            try await store.complete(runID: id, outcome: run)
            live.record(run)
        }
        let expectedBackup = newer.timeIntervalSince1970
        let expectedSuccess = newer.addingTimeInterval(1200).timeIntervalSince1970

        // History: what `status` and the reports read.
        let point = try #require(try await store.verifiedRestorePoints()["fs"])
        #expect(point.backup.timeIntervalSince1970 == expectedBackup)
        #expect(point.verifiedAt.timeIntervalSince1970 == expectedSuccess)
        // The live gauges of the running daemon.
        let liveText = live.expositionText()
        #expect(gauge(liveText, "verified_backup_timestamp_seconds") == expectedBackup, "live gauge moved back")
        #expect(gauge(liveText, "last_success_timestamp_seconds") == expectedSuccess)
        // The textfile exporter, given the history and this run's outcomes.
        let config = Config(scratchDirectory: temp.url("scratch"), stateDirectory: temp.url("state"), targets: [target])
        try FileManager.default.createDirectory(atPath: temp.url("textfile"), withIntermediateDirectories: true)
        try await TextfileExporter.write(config: config, store: store, outcomes: Array(runs.suffix(2)), directory: temp.url("textfile"))
        let textfile = try String(contentsOfFile: temp.url("textfile/restorecheck.prom"), encoding: .utf8)
        #expect(gauge(textfile, "verified_backup_timestamp_seconds") == expectedBackup)
        #expect(gauge(textfile, "last_success_timestamp_seconds") == expectedSuccess)
        // A restart: gauges seeded from history.
        let restarted = OutcomeMetrics(version: "1")
        restarted.configure(targets: [target], seeds: try await DaemonContext.seeds(from: store))
        let restartedText = restarted.expositionText()
        #expect(gauge(restartedText, "verified_backup_timestamp_seconds") == expectedBackup)
        #expect(gauge(restartedText, "last_success_timestamp_seconds") == expectedSuccess)
        #expect(gauge(restartedText, "restore_success") == 0, "the newest test failed")
    }
}
