import Foundation

/// What `restorecheck evidence verify` found in the chain (see `EvidenceChain`).
public struct EvidenceCheck: Sendable {
    public init(entriesChecked: Int, problems: [EvidenceProblem], headHash: String?, anchor: EvidenceAnchor?) {
        self.entriesChecked = entriesChecked
        self.problems = problems
        self.headHash = headHash
        self.anchor = anchor
    }

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

    public init(seq: Int64, entryHash: String, prunedAt: Date, cutoff: Date?) {
        self.seq = seq
        self.entryHash = entryHash
        self.prunedAt = prunedAt
        self.cutoff = cutoff
    }

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

/// The chain's verification, the same in every store: the store reads the anchor, the chained runs
/// in chain order with their findings, and the finished runs outside the chain; this walks them.
public struct EvidenceWalk {
    private var problems: [EvidenceProblem] = []
    private let anchor: EvidenceAnchor?
    private let partial: Bool
    private var expectedSeq: Int64
    private var expectedPrevious: String
    private var previousRun: Int64?
    private var previousSeq: Int64?
    private var checked = 0
    private var first = true

    /// `partial`: the walk starts at some entry (`verify --since`), trusting its link to its
    /// predecessor, rather than at the anchor or the chain's start.
    public init(anchor: EvidenceAnchor?, partial: Bool, retention: TimeSpan?, now: Date) {
        self.anchor = anchor
        self.partial = partial
        if let anchor { problems += anchor.problems(retention: retention, now: now) }
        expectedSeq = (anchor?.seq ?? 0) + 1
        expectedPrevious = anchor?.entryHash ?? Hex.encode(EvidenceRecord.genesis)
    }

    /// The next chained run, in chain order, with its findings in recorded order.
    public mutating func visit(_ row: StoredRow, findings: [StoredRow]) {
        let id = row.integer("id") ?? 0
        let seq = row.integer("chain_seq") ?? 0
        let stored = row.text("entry_hash") ?? ""
        let link = row.text("prev_hash") ?? ""
        if first, partial {
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
        let record = EvidenceRecord.canonical(run: row, findings: findings)
        let recomputed = EvidenceRecord.entryHash(previous: Hex.decode(expectedPrevious) ?? [], record: record)
        if link != expectedPrevious, EvidenceRecord.entryHash(previous: Hex.decode(link) ?? [], record: record) == stored {
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

    /// The result, given the finished runs that are not in the chain.
    public func finish(unchained: [Int64]) -> EvidenceCheck {
        EvidenceCheck(
            entriesChecked: checked, problems: problems + unchained.map { EvidenceProblem.inserted(runID: $0) },
            headHash: checked > 0 ? expectedPrevious : nil, anchor: anchor)
    }
}
