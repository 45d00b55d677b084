import Foundation
@testable import RestoreCheckCore
@testable import RestoreCheckStore
import RestoreCheckTestSupport
import Testing

@Suite("History in a real SQLite file")
struct HistoryStoreTests {
    func outcome(_ target: String, _ status: OutcomeStatus, reasons: [OutcomeReason] = [], backup: Date, started: Date) -> Outcome {
        var outcome = Outcome.fixture(
            target: target, status: status, reasons: reasons, backup: backup, started: started, finished: started.addingTimeInterval(5),
            findings: status == .failed ? [Finding(path: "a.txt", reason: .checksumMismatch, expectedSHA256: "e", actualSHA256: "f")] : [])
        outcome.summary = "s"
        outcome.archive = "/b/\(target).tar"
        outcome.restoreSeconds = 5
        outcome.sample = "20 files"
        outcome.seed = 1
        outcome.filesVerified = 20
        outcome.bytesRestored = 1000
        outcome.rpoSeconds = 3600
        return outcome
    }

    @Test func runsAreStartedThenCompletedWithFindings() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("store")
            let store = try HistoryStore(path: temp.url("state/history.sqlite"))
            let t0 = Date(timeIntervalSince1970: 1_700_000_000)
            let id = try store.beginRun(target: "fs", tenant: "acme", started: t0, origin: "serve")
            #expect(try store.latestPerTarget().first?.status == .started)
            try store.complete(runID: id, outcome: outcome("fs", .failed, reasons: [.checksumMismatch], backup: t0, started: t0))
            let latest = try #require(try store.latestPerTarget().first)
            #expect(latest.status == .failed)
            #expect(latest.reasons == ["checksum_mismatch"])
            #expect(latest.outcome?.findings.first?.path == "a.txt")
            #expect(try store.findings(runID: id).map(\.reason) == [.checksumMismatch])
            #expect(try store.integrityCheck() == "ok")
        }
    }

    @Test func verifiedRestorePointIsTheNewestBackupThatPassed() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("store2")
            let store = try HistoryStore(path: temp.url("history.sqlite"))
            let day: TimeInterval = 86_400
            let t0 = Date(timeIntervalSince1970: 1_700_000_000)
            for (offset, status) in [(0.0, OutcomeStatus.passed), (1, .passed), (2, .failed)] {
                let started = t0.addingTimeInterval(offset * day)
                let id = try store.beginRun(target: "fs", tenant: "acme", started: started, origin: "run")
                try store.complete(runID: id, outcome: outcome("fs", status, backup: started.addingTimeInterval(-600), started: started))
            }
            let point = try #require(try store.verifiedRestorePoints()["fs"])
            #expect(point.backup == t0.addingTimeInterval(day - 600), "the failed newer backup does not count")
            #expect(try store.lastStarted()["fs"] == t0.addingTimeInterval(2 * day))
            #expect(try store.history(target: "fs", limit: 2).map(\.status) == [.failed, .passed])
        }
    }

    @Test func leftoversBecomeAbortedAndRetentionPrunes() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("store3")
            let path = temp.url("history.sqlite")
            let t0 = Date(timeIntervalSince1970: 1_700_000_000)
            do {
                let store = try HistoryStore(path: path)
                _ = try store.beginRun(target: "old", tenant: "acme", started: t0, origin: "serve")
                _ = try store.beginRun(target: "new", tenant: "acme", started: t0.addingTimeInterval(86_400 * 30), origin: "serve")
            }
            let reopened = try HistoryStore(path: path)
            #expect(try reopened.abortLeftovers() == 2)
            #expect(try reopened.latestPerTarget().map(\.status) == [.aborted, .aborted])
            #expect(try reopened.prune(before: t0.addingTimeInterval(86_400)) == 1)
            #expect(try reopened.latestPerTarget().map(\.target) == ["new"])
        }
    }

    @Test func aDamagedFileIsMovedAsideNeverDeleted() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("store4")
            let path = try temp.write("history.sqlite", String(repeating: "this is not a database ", count: 500))
            let store = try HistoryStore(path: path)
            let aside = try #require(store.quarantinedPath)
            #expect(try String(contentsOfFile: aside, encoding: .utf8).hasPrefix("this is not a database"))
            #expect(try store.integrityCheck() == "ok")
            #expect(try store.latestPerTarget().isEmpty)
        }
    }

    /// A reason or status this version does not know (a newer restorecheck sharing the history, a
    /// hand edit) is an error naming the run and the value, for every reader: never read as another
    /// reason (an unknown one used to become `archive_corrupt`) or another status (`error`).
    @Test func anUnknownStoredReasonOrStatusIsAnErrorNamingTheRun() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("store-unknown")
            let path = temp.url("h.sqlite")
            let store = try HistoryStore(path: path)
            let t0 = Date(timeIntervalSince1970: 1_700_000_000)
            let id = try store.beginRun(target: "fs", tenant: "acme", started: t0, origin: "run")
            try store.complete(runID: id, outcome: outcome("fs", .failed, reasons: [.checksumMismatch], backup: t0, started: t0))
            #expect(try store.findings(runID: id).map(\.reason) == [.checksumMismatch])

            try Shell.run("sqlite3 \"$DB\" \"UPDATE finding SET reason = 'egress_exceeded'\"", environment: ["DB": path])
            for read in [{ _ = try store.findings(runID: id) }, { _ = try store.findings(runIDs: [id], perRun: 10) }] as [() throws -> Void] {
                let error = try #require(throws: (any Error).self) { try read() }
                #expect("\(error)".contains("run \(id) has a finding with reason 'egress_exceeded'"), "\(error)")
            }

            try Shell.run("sqlite3 \"$DB\" \"UPDATE run SET status = 'quarantined'\"", environment: ["DB": path])
            for read in [{ _ = try store.latestPerTarget() }, { _ = try store.finishedRuns(tenant: "acme", through: t0.addingTimeInterval(60)) }]
                as [() throws -> Void]
            {
                let error = try #require(throws: (any Error).self) { try read() }
                #expect("\(error)".contains("run \(id) has status 'quarantined'"), "\(error)")
            }
        }
    }

    @Test func walAndFullSyncAreInEffect() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("store5")
            let store = try HistoryStore(path: temp.url("h.sqlite"))
            let mode = try Shell.run("sqlite3 \"$DB\" 'PRAGMA journal_mode;'", environment: ["DB": temp.url("h.sqlite")]).stdout
            #expect(mode.trimmingCharacters(in: .whitespacesAndNewlines) == "wal", "WAL is stored in the file")
            // synchronous is per connection: only the store's own connection can show it. 2 = FULL.
            #expect(try store.pragma("synchronous") == "2", "NORMAL (1) can roll back the last commits on power loss")
            #expect(try store.pragma("journal_mode") == "wal")
        }
    }
}

@Suite("Findings through the JSON contract")
struct FindingContractTests {
    @Test func bothDigestsSurviveTheSnakeCaseRoundTrip() async throws {
        try await Blocking.run {
            let finding = Finding(path: "a.txt", reason: .checksumMismatch, expectedSHA256: "e1", actualSHA256: "a1")
            let json = String(decoding: try Outcome.jsonEncoder().encode(finding), as: UTF8.self)
            #expect(json.contains("\"expected_sha256\" : \"e1\"") && json.contains("\"actual_sha256\" : \"a1\""))
            let decoded = try Outcome.jsonDecoder().decode(Finding.self, from: Data(json.utf8))
            #expect(decoded == finding, "before the fix both digests decoded as nil")
        }
    }
}
