import Foundation
import GRDB
import RestoreCheckCore

/// What `restorecheck evidence verify` found in the chain (see `EvidenceChain`).
public struct EvidenceCheck: Sendable {
    /// Chain entries whose hash was recomputed.
    public var entriesChecked: Int
    /// Problems in chain order; the first names the first run whose record was changed, inserted or
    /// deleted. Empty when the history is intact.
    public var problems: [EvidenceProblem]
    /// The newest entry's hash: publishing it (or signing a report that carries it) pins the whole
    /// history up to it.
    public var headHash: String?

    public var isIntact: Bool { problems.isEmpty }
}

/// One way the recorded history differs from what was chained.
public enum EvidenceProblem: Sendable, Hashable, CustomStringConvertible {
    /// The run's stored record no longer hashes to its chain entry.
    case changed(runID: Int64, seq: Int64)
    /// Chain entries are missing where retention did not remove them.
    case deleted(seqs: ClosedRange<Int64>, after: Int64?, before: Int64?)
    /// A finished run that is not in the chain: added behind the recorder's back.
    case inserted(runID: Int64)

    public var description: String {
        switch self {
        case .changed(let runID, let seq): return "run \(runID) (chain entry \(seq)) was changed after it was recorded"
        case .deleted(let seqs, let after, let before):
            let which = seqs.count == 1 ? "chain entry \(seqs.lowerBound)" : "chain entries \(seqs.lowerBound)–\(seqs.upperBound)"
            let between = [after.map { "after run \($0)" }, before.map { "before run \($0)" }].compactMap { $0 }.joined(separator: ", ")
            return "\(which) deleted" + (between.isEmpty ? "" : " (\(between))")
        case .inserted(let runID): return "run \(runID) was inserted: it is not in the chain"
        }
    }
}

extension HistoryStore {
    /// Recomputes the chain (from the retention anchor, or from the first entry that finished at or
    /// after `since`, trusting that entry's link to its predecessor).
    public func verifyEvidence(since: Date? = nil) throws -> EvidenceCheck {
        try read { db in
            var problems: [EvidenceProblem] = []
            let anchor = try Row.fetchOne(db, sql: "SELECT chain_seq, entry_hash FROM evidence_anchor WHERE id = 1")
            var expectedSeq: Int64 = (anchor?["chain_seq"] as Int64? ?? 0) + 1
            var expectedPrevious = (anchor?["entry_hash"] as String?) ?? Hex.encode(EvidenceChain.genesis)
            var previousRun: Int64?
            var checked = 0
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
            let findings = Dictionary(grouping: findingRows) { $0["run_id"] as Int64 }
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM run WHERE \(selection) ORDER BY chain_seq", arguments: arguments)
            var first = true
            while let row = try rows.next() {
                let id: Int64 = row["id"]
                let seq: Int64 = row["chain_seq"]
                let stored: String = row["entry_hash"] ?? ""
                let link: String = row["prev_hash"] ?? ""
                if first, since != nil {
                    // A partial check starts from this entry's own link.
                    expectedSeq = seq
                    expectedPrevious = link
                }
                first = false
                if seq > expectedSeq {
                    problems.append(.deleted(seqs: expectedSeq...(seq - 1), after: previousRun, before: id))
                    // The deleted entry's hash is gone: check this entry against its own link, so a
                    // deletion is not also reported as a change of the run after it.
                    expectedPrevious = link
                }
                let recomputed = EvidenceChain.entryHash(
                    previous: Hex.decode(expectedPrevious) ?? [],
                    record: EvidenceChain.canonicalRecord(run: row, findings: findings[id] ?? []))
                if recomputed != stored || link != expectedPrevious {
                    problems.append(.changed(runID: id, seq: seq))
                }
                checked += 1
                expectedSeq = seq + 1
                expectedPrevious = stored
                previousRun = id
            }
            let unchained = try Int64.fetchAll(
                db, sql: "SELECT id FROM run WHERE chain_seq IS NULL AND status != 'started' ORDER BY id")
            problems += unchained.map { EvidenceProblem.inserted(runID: $0) }
            return EvidenceCheck(entriesChecked: checked, problems: problems, headHash: checked > 0 ? expectedPrevious : nil)
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
