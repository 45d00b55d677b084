import Foundation
import GRDB
@testable import RestoreCheckCore
@testable import RestoreCheckStore
import RestoreCheckStoreTestSupport
import RestoreCheckTestSupport
import Testing

/// The hash chain over recorded runs: tampering with the SQLite file by hand (the `sqlite3` CLI, as
/// an attacker with file access would) is caught and named; retention is not mistaken for deletion.
@Suite("Evidence chain")
struct EvidenceChainTests {
    typealias H = SyntheticHistory

    static func store(_ temp: TemporaryDirectory, days: Int = 10) throws -> HistoryStore {
        let store = try HistoryStore(path: temp.url("history.sqlite"))
        for day in 0..<days {
            try H(store: store).record("fs", H.Test(day: day, status: day == 3 ? .failed : .passed, reasons: day == 3 ? [.checksumMismatch] : [], findings: day == 3 ? 2 : 0))
        }
        return store
    }

    static func sqlite(_ temp: TemporaryDirectory, _ sql: String) throws {
        _ = try Shell.run("sqlite3 \"$DB\" \"$SQL\"", environment: ["DB": temp.url("history.sqlite"), "SQL": sql])
    }

    @Test func anIntactHistoryVerifiesAndEveryRunIsLinked() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("chain-intact")
            let store = try Self.store(temp)
            let check = try store.verifyEvidence()
            #expect(check.isIntact && check.entriesChecked == 10)
            let runs = try store.finishedRuns(tenant: "acme", through: H.at(100))
            #expect(check.headHash == runs.last?.entryHash)
            #expect(Set(runs.compactMap(\.entryHash)).count == 10)
        }
    }

    @Test func aChangedRowAFindingAndADeletedRowAreEachNamed() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("chain-tamper")
            let store = try Self.store(temp)
            try Self.sqlite(temp, "UPDATE run SET status = 'passed', reasons = '' WHERE id = 4")
            #expect(try store.verifyEvidence().problems == [.changed(runID: 4, seq: 4)])
            try Self.sqlite(temp, "UPDATE run SET status = 'failed', reasons = 'checksum_mismatch' WHERE id = 4")
            #expect(try store.verifyEvidence().isIntact, "restored exactly: the chain agrees again")

            try Self.sqlite(temp, "UPDATE finding SET path = 'other.txt' WHERE run_id = 4")
            #expect(try store.verifyEvidence().problems == [.changed(runID: 4, seq: 4)], "findings are part of the record")
            try Self.sqlite(temp, "UPDATE finding SET path = 'docs/file-0.txt' WHERE rowid = (SELECT MIN(rowid) FROM finding WHERE run_id = 4)")
            try Self.sqlite(temp, "UPDATE finding SET path = 'docs/file-1.txt' WHERE rowid = (SELECT MAX(rowid) FROM finding WHERE run_id = 4)")
            #expect(try store.verifyEvidence().isIntact)

            try Self.sqlite(temp, "DELETE FROM run WHERE id = 7")
            let problems = try store.verifyEvidence().problems
            #expect(problems == [.deleted(seqs: 7...7, after: 6, before: 8)], "the run after it is not blamed: \(problems)")
            #expect(problems.first?.description == "chain entry 7 deleted (after run 6, before run 8)")
        }
    }

    @Test func anInsertedRowAndAForgedLinkAreCaught() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("chain-insert")
            let store = try Self.store(temp)
            try Self.sqlite(temp, "INSERT INTO run (target, tenant, status, origin, started, finished) VALUES ('fs', 'acme', 'passed', 'serve', 1, 2)")
            #expect(try store.verifyEvidence().problems == [.inserted(runID: 11)])
            try Self.sqlite(temp, "DELETE FROM run WHERE id = 11")
            // A row given a made-up place in the chain: its hash cannot be right without the previous one.
            try Self.sqlite(temp, "UPDATE run SET entry_hash = '\(String(repeating: "0", count: 64))' WHERE id = 5")
            let problems = try store.verifyEvidence().problems
            #expect(problems == [.changed(runID: 5, seq: 5)], "run 6 is whole and untouched: \(problems)")
        }
    }

    /// A record rewritten together with its own hash: its entry verifies against its link, and the
    /// next entry, untouched, still commits to the old hash. The rewritten run is named, not the next.
    @Test func aRecordRewrittenWithItsOwnHashIsNamedNotTheNextRun() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("chain-rewrite")
            let store = try Self.store(temp)
            try Self.sqlite(temp, "UPDATE run SET status = 'passed', reasons = '' WHERE id = 4")
            let queue = try DatabaseQueue(path: temp.url("history.sqlite"))
            try queue.write { db in
                let link = try String.fetchOne(db, sql: "SELECT prev_hash FROM run WHERE id = 4") ?? ""
                let forged = EvidenceRecord.entryHash(previous: Hex.decode(link) ?? [], record: try EvidenceChain.canonicalRecord(db, runID: 4))
                try db.execute(sql: "UPDATE run SET entry_hash = ? WHERE id = 4", arguments: [forged])
            }
            try queue.close()
            let problems = try store.verifyEvidence().problems
            #expect(problems == [.changed(runID: 4, seq: 4)], "\(problems)")
        }
    }

    /// The anchor's account is checked against history_days and the clock: retention never deletes a
    /// run younger than history_days, so an anchor that claims it did was forged (or the setting
    /// raised since); one written in the future was forged.
    @Test func aForgedRetentionAnchorIsReported() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("chain-anchor")
            let store = try Self.store(temp)
            #expect(try store.prune(before: H.at(4)) == 4)
            // The prune ran now (real clock) and cut at day 4, long before history_days (3 days) ago.
            let retention = TimeSpan(seconds: 3 * 86_400)
            let honest = try store.verifyEvidence(retention: retention)
            #expect(honest.isIntact, "\(honest.problems)")
            #expect(honest.anchor?.seq == 4 && honest.anchor?.cutoff == H.at(4))
            #expect(honest.anchor?.description.hasPrefix("chain entry 4 (hash ") == true)

            // The oldest surviving runs deleted by hand and the anchor rewritten with the right hash, its
            // cutoff a day ago: the chain verifies, but retention of 3 days never deletes such runs.
            let dayAgo = Date().addingTimeInterval(-86_400).timeIntervalSince1970
            try Self.sqlite(
                temp,
                "UPDATE evidence_anchor SET chain_seq = 6, entry_hash = (SELECT entry_hash FROM run WHERE chain_seq = 6), cutoff = \(dayAgo); DELETE FROM run WHERE chain_seq <= 6")
            let forged = try store.verifyEvidence(retention: retention)
            #expect(forged.problems.count == 1, "\(forged.problems)")
            #expect(forged.problems.first?.description.contains("younger than history_days (3d0h) allows") == true, "\(forged.problems)")
            #expect(try store.verifyEvidence().isIntact, "without the retention rule, the chain alone cannot tell")

            let monthAhead = Date().addingTimeInterval(30 * 86_400).timeIntervalSince1970
            try Self.sqlite(temp, "UPDATE evidence_anchor SET cutoff = \(H.at(1).timeIntervalSince1970), pruned_at = \(monthAhead)")
            let future = try store.verifyEvidence(retention: retention)
            #expect(future.problems.first?.description.contains("written in the future") == true, "\(future.problems)")
        }
    }

    @Test func retentionKeepsTheChainVerifiable() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("chain-prune")
            let store = try Self.store(temp)
            #expect(try store.prune(before: H.at(4)) == 4)
            #expect(try store.verifyEvidence().isIntact, "the anchor holds the last deleted link")
            #expect(try store.verifyEvidence().entriesChecked == 6)
            // Deleting the oldest surviving run by hand is still a deletion, not retention.
            try Self.sqlite(temp, "DELETE FROM run WHERE id = 5")
            #expect(try store.verifyEvidence().problems == [.deleted(seqs: 5...5, after: nil, before: 6)])
        }
    }

    @Test func abortedRunsAreChainedToo() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("chain-abort")
            let store = try Self.store(temp, days: 2)
            let running = try store.beginRun(target: "fs", tenant: "acme", started: H.at(5), origin: "serve")
            #expect(try store.verifyEvidence().isIntact, "a test still running is not in the chain yet, and not an insertion")
            try store.abort(runID: running, at: H.at(5, 60))
            let leftover = try store.beginRun(target: "fs", tenant: "acme", started: H.at(6), origin: "serve")
            #expect(try store.abortLeftovers() == 1)
            let check = try store.verifyEvidence()
            #expect(check.isIntact && check.entriesChecked == 4)
            #expect(try store.finishedRuns(tenant: "acme", through: H.at(7)).map(\.status) == [.passed, .passed, .aborted])
            _ = leftover
        }
    }

    @Test func sinceChecksOnlyTheRecentEntries() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("chain-since")
            let store = try Self.store(temp)
            try Self.sqlite(temp, "UPDATE run SET files_verified = 1 WHERE id = 2")
            #expect(try store.verifyEvidence().problems == [.changed(runID: 2, seq: 2)])
            let recent = try store.verifyEvidence(since: H.at(5))
            #expect(recent.isIntact && recent.entriesChecked == 5)
        }
    }

    @Test func migrationChainsAHistoryRecordedBeforeTheChain() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("chain-migrate")
            let path = temp.url("history.sqlite")
            do {
                let queue = try DatabaseQueue(path: path)
                try HistoryStore.migrator.migrate(queue, upTo: "v1: runs and findings")
                let finding = Finding(path: "a.txt", reason: .checksumMismatch, expectedSHA256: "e", actualSHA256: "f")
                for day in 0..<3 {
                    var outcome = Outcome.fixture(
                        status: day == 1 ? .failed : .passed, backup: H.at(day), started: H.started(day), finished: H.finished(day),
                        findings: day == 1 ? [finding] : [])
                    outcome.summary = "old"
                    outcome.archive = "/b/fs.tar"
                    outcome.archiveBytes = 4_096
                    outcome.sample = "20 files"
                    outcome.seed = 9
                    outcome.filesVerified = 20
                    outcome.bytesRestored = 100
                    outcome.rtoMet = true
                    outcome.projectedFullRestoreSeconds = 60
                    let json = String(decoding: try Outcome.jsonEncoder().encode(outcome), as: UTF8.self)
                    try queue.write { db in
                        try db.execute(
                            sql: """
                                INSERT INTO run (target, tenant, status, reasons, origin, started, finished, backup_timestamp, files_verified,
                                  bytes_restored, outcome_json) VALUES ('fs', 'acme', ?, ?, 'serve', ?, ?, ?, 20, 100, ?)
                                """,
                            arguments: [outcome.status.rawValue, outcome.reasons.map(\.rawValue).joined(separator: ","),
                                        H.started(day).timeIntervalSince1970, H.finished(day).timeIntervalSince1970,
                                        H.at(day).timeIntervalSince1970, json])
                        if day == 1 {
                            try db.execute(sql: "INSERT INTO finding (run_id, path, reason) VALUES (?, 'a.txt', 'checksum_mismatch')", arguments: [db.lastInsertedRowID])
                        }
                    }
                }
                try queue.write { try $0.execute(sql: "INSERT INTO run (target, tenant, status, origin, started) VALUES ('fs', 'acme', 'started', 'serve', 5)") }
            }
            let store = try HistoryStore(path: path)
            let check = try store.verifyEvidence()
            #expect(check.isIntact && check.entriesChecked == 3, "finished runs chained by the migration; the running one is not")
            let runs = try store.finishedRuns(tenant: "acme", through: H.at(10))
            #expect(runs.map(\.archiveBytes) == [4_096, 4_096, 4_096], "report columns filled from the stored outcomes")
            #expect(runs.map(\.rtoMet) == [true, true, true] && runs[1].findingCount == 1 && runs[0].seed == "9")
        }
    }

    @Test func anIndependentImplementationOfTheDocumentedFormatAgrees() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("chain-python")
            let store = try Self.store(temp)
            _ = try store.prune(before: H.at(2))
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Benchmarks/evidence_chain.py").path
            let intact = try Shell.execute("/usr/bin/python3", [script, "verify", temp.url("history.sqlite")])
            #expect(intact.status == 0, "\(intact.stdout)\(intact.stderr)")
            #expect(intact.stdout.contains("head \(try store.verifyEvidence().headHash ?? "?")"))
            try Self.sqlite(temp, "UPDATE run SET archive = '/b/other.tar' WHERE id = 5")
            let broken = try Shell.execute("/usr/bin/python3", [script, "verify", temp.url("history.sqlite")])
            #expect(broken.status == 1 && broken.stdout.contains("run 5 (chain entry 5) changed"))
        }
    }
}
