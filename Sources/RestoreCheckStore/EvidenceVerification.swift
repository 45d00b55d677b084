import Foundation
import GRDB
import RestoreCheckCore

extension HistoryStore {
    /// Recomputes the chain (from the retention anchor, or from the first entry that finished at or
    /// after `since`, trusting that entry's link to its predecessor). With `retention` (the config's
    /// `history_days`), the anchor is also checked against it and the clock (`EvidenceAnchor`).
    public func verifyEvidence(since: Date? = nil, retention: TimeSpan? = nil, now: Date = Date()) throws -> EvidenceCheck {
        try read { db in
            let anchor = try Row.fetchOne(db, sql: "SELECT chain_seq, entry_hash, pruned_at, cutoff FROM evidence_anchor WHERE id = 1").map {
                EvidenceAnchor(
                    seq: $0["chain_seq"], entryHash: $0["entry_hash"], prunedAt: Date(timeIntervalSince1970: $0["pruned_at"]),
                    cutoff: ($0["cutoff"] as Double?).map(Date.init(timeIntervalSince1970:)))
            }
            var walk = EvidenceWalk(anchor: anchor, partial: since != nil, retention: retention, now: now)
            var selection = "chain_seq IS NOT NULL"
            var arguments: StatementArguments = []
            if let since {
                selection += " AND chain_seq >= (SELECT MIN(chain_seq) FROM run WHERE chain_seq IS NOT NULL AND finished >= ?)"
                arguments = [since.timeIntervalSince1970]
            }
            // Two reads in all, not two per run: the findings (few: only tests that did not pass have
            // any) grouped by run, then the runs in chain order.
            let findingRows = try Row.fetchAll(
                db, sql: "SELECT * FROM finding WHERE run_id IN (SELECT id FROM run WHERE \(selection)) ORDER BY run_id, rowid",
                arguments: arguments)
            let findings = Dictionary(grouping: findingRows.map(\.stored)) { $0.integer("run_id") ?? 0 }
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM run WHERE \(selection) ORDER BY chain_seq", arguments: arguments)
            while let row = try rows.next() {
                let stored = row.stored
                walk.visit(stored, findings: findings[stored.integer("id") ?? 0] ?? [])
            }
            let unchained = try Int64.fetchAll(db, sql: "SELECT id FROM run WHERE chain_seq IS NULL AND status != 'started' ORDER BY id")
            return walk.finish(unchained: unchained)
        }
    }

    /// The stored entry hash of each run (runs not in the history are absent): for checking a
    /// report's runs against the history.
    public func entryHashes(runIDs: [Int64]) throws -> [Int64: String] {
        try read { db in
            var result: [Int64: String] = [:]
            for chunk in stride(from: 0, to: runIDs.count, by: 500) {
                let ids = Array(runIDs[chunk..<min(chunk + 500, runIDs.count)])
                let rows = try Row.fetchAll(
                    db, sql: "SELECT id, entry_hash FROM run WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ",")))",
                    arguments: StatementArguments(ids))
                for row in rows { if let hash: String = row["entry_hash"] { result[row["id"]] = hash } }
            }
            return result
        }
    }
}
