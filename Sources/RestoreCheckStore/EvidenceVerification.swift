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
    /// Where retention cut the chain, if it has.
    public var anchor: EvidenceAnchor?

    public var isIntact: Bool { problems.isEmpty }
}

/// The last chain entry retention deleted (`evidence_anchor`): `verify` starts from its hash.
///
/// Whoever can write the database can also delete the oldest runs and write an anchor with the right
/// hash; the chain then verifies. What `verify` can still check is the anchor's own account: runs
/// that started before `cutoff` were deleted at `prunedAt`. A cutoff later than `history_days`
/// allows (retention never deletes a run younger than that), or a prune in the future, is reported.
/// An anchor forged with an old enough cutoff is not caught here: a signed report that covers the
/// deleted runs is (README "Evidence chain").
public struct EvidenceAnchor: Sendable, Hashable, CustomStringConvertible {
    public var seq: Int64
    public var entryHash: String
    public var prunedAt: Date
    /// Runs that started before this were deleted; nil for an anchor written before it was recorded.
    public var cutoff: Date?

    /// Slack for the host's clock between the prune and the check: the default `clock_skew`.
    static let clockAllowance = RestorePointAge.defaultAllowance.seconds

    func problems(retention: TimeSpan?, now: Date) -> [EvidenceProblem] {
        if prunedAt.timeIntervalSince(now) > Self.clockAllowance { return [.anchorImplausible(self, why: "it was written in the future")] }
        guard let retention, let cutoff else { return [] }
        if cutoff.timeIntervalSince(now.addingTimeInterval(-retention.seconds)) > Self.clockAllowance {
            return [.anchorImplausible(self, why:
                "it deleted runs that started up to \(cutoff.formatted(.iso8601)), younger than history_days (\(TimeSpan.format(retention.seconds))) "
                + "allows: forged to hide deleted runs, or history_days was raised since")]
        }
        return []
    }

    public var description: String {
        "chain entry \(seq) (hash \(entryHash.prefix(16))…): runs that started before "
            + "\(cutoff.map { $0.formatted(.iso8601) } ?? "(not recorded)") deleted by retention at \(prunedAt.formatted(.iso8601))"
    }
}

/// One way the recorded history differs from what was chained.
public enum EvidenceProblem: Sendable, Hashable, CustomStringConvertible {
    /// The run's stored record no longer hashes to its chain entry.
    case changed(runID: Int64, seq: Int64)
    /// Chain entries are missing where retention did not remove them.
    case deleted(seqs: ClosedRange<Int64>, after: Int64?, before: Int64?)
    /// A finished run that is not in the chain: added behind the recorder's back.
    case inserted(runID: Int64)
    /// The first entry after the retention anchor commits to another hash than the anchor holds.
    case anchorMismatch(seq: Int64)
    /// The retention anchor's own account does not hold (`EvidenceAnchor`).
    case anchorImplausible(EvidenceAnchor, why: String)

    public var description: String {
        switch self {
        case .changed(let runID, let seq): return "run \(runID) (chain entry \(seq)) was changed after it was recorded"
        case .deleted(let seqs, let after, let before):
            let which = seqs.count == 1 ? "chain entry \(seqs.lowerBound)" : "chain entries \(seqs.lowerBound)–\(seqs.upperBound)"
            let between = [after.map { "after run \($0)" }, before.map { "before run \($0)" }].compactMap { $0 }.joined(separator: ", ")
            return "\(which) deleted" + (between.isEmpty ? "" : " (\(between))")
        case .inserted(let runID): return "run \(runID) was inserted: it is not in the chain"
        case .anchorMismatch(let seq): return "the retention anchor does not hold the hash chain entry \(seq) commits to: the anchor was rewritten"
        case .anchorImplausible(let anchor, let why): return "the retention anchor (\(anchor)) is implausible: \(why)"
        }
    }
}

extension HistoryStore {
    /// Recomputes the chain (from the retention anchor, or from the first entry that finished at or
    /// after `since`, trusting that entry's link to its predecessor). With `retention` (the config's
    /// `history_days`), the anchor is also checked against it and the clock (`EvidenceAnchor`).
    public func verifyEvidence(since: Date? = nil, retention: TimeSpan? = nil, now: Date = Date()) throws -> EvidenceCheck {
        try read { db in
            var problems: [EvidenceProblem] = []
            let anchorRow = try Row.fetchOne(db, sql: "SELECT chain_seq, entry_hash, pruned_at, cutoff FROM evidence_anchor WHERE id = 1")
            let anchor = anchorRow.map {
                EvidenceAnchor(
                    seq: $0["chain_seq"], entryHash: $0["entry_hash"], prunedAt: Date(timeIntervalSince1970: $0["pruned_at"]),
                    cutoff: ($0["cutoff"] as Double?).map(Date.init(timeIntervalSince1970:)))
            }
            if let anchor { problems += anchor.problems(retention: retention, now: now) }
            var expectedSeq: Int64 = (anchor?.seq ?? 0) + 1
            var expectedPrevious = anchor?.entryHash ?? Hex.encode(EvidenceChain.genesis)
            var previousRun: Int64?
            var previousSeq: Int64?
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
                let record = EvidenceChain.canonicalRecord(run: row, findings: findings[id] ?? [])
                let recomputed = EvidenceChain.entryHash(previous: Hex.decode(expectedPrevious) ?? [], record: record)
                if link != expectedPrevious,
                    EvidenceChain.entryHash(previous: Hex.decode(link) ?? [], record: record) == stored
                {
                    // This entry is whole and commits to another hash of the one before: that one was
                    // rewritten together with its own hash (or, first after the anchor, the anchor was).
                    if let previousRun, let previousSeq {
                        let rewritten = EvidenceProblem.changed(runID: previousRun, seq: previousSeq)
                        if problems.last != rewritten { problems.append(rewritten) }
                    } else {
                        problems.append(.anchorMismatch(seq: seq))
                    }
                } else if recomputed != stored || link != expectedPrevious {
                    problems.append(.changed(runID: id, seq: seq))
                }
                checked += 1
                expectedSeq = seq + 1
                expectedPrevious = stored
                previousRun = id
                previousSeq = seq
            }
            let unchained = try Int64.fetchAll(
                db, sql: "SELECT id FROM run WHERE chain_seq IS NULL AND status != 'started' ORDER BY id")
            problems += unchained.map { EvidenceProblem.inserted(runID: $0) }
            return EvidenceCheck(entriesChecked: checked, problems: problems, headHash: checked > 0 ? expectedPrevious : nil, anchor: anchor)
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
