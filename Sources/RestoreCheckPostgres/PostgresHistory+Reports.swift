import Foundation
import PostgresNIO
import RestoreCheckCore

/// The query API reports read (`HistoryQuery`), in PostgreSQL: synchronous, as reports are built on
/// their own thread (`PostgresHistory.blocking`).
extension PostgresHistory: HistoryQuery {
    public func finishedRuns(tenant: String, through: Date) throws -> [RecordedRun] {
        try blocking {
            try await self.rows(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT \(StoredValues.recordedRunColumns) FROM run
                        WHERE tenant = $1 AND status <> 'started' AND finished IS NOT NULL AND finished <= $2 ORDER BY finished, id
                        """,
                    binds: {
                        var binds = PostgresBindings()
                        binds.append(tenant)
                        binds.append(through.timeIntervalSince1970)
                        return binds
                    }())
            ).map(StoredValues.recordedRun)
        }
    }

    public func findings(runIDs: [Int64], perRun: Int) throws -> [Int64: [Finding]] {
        try blocking {
            let rows = try await self.rows(
                """
                SELECT * FROM (SELECT f.*, ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY position) AS rank FROM finding f
                  WHERE run_id = ANY(\(runIDs))) ranked WHERE rank <= \(Int64(perRun)) ORDER BY run_id, rank
                """)
            var result: [Int64: [Finding]] = [:]
            for row in rows { result[row.integer("run_id") ?? 0, default: []].append(try StoredValues.finding(row)) }
            return result
        }
    }

    public func coverage(runIDs: [Int64]) throws -> [Int64: CoverageSummary] {
        try storedOutcomes(runIDs) { $0.coverage }
    }

    public func sourceReads(runIDs: [Int64]) throws -> [Int64: SourceRead] {
        try storedOutcomes(runIDs) { $0.sourceRead }
    }

    private func storedOutcomes<Part: Sendable>(_ runIDs: [Int64], _ part: @escaping @Sendable (Outcome) -> Part?) throws -> [Int64: Part] {
        try blocking {
            var result: [Int64: Part] = [:]
            for row in try await self.rows("SELECT id, outcome_json FROM run WHERE id = ANY(\(runIDs))") {
                guard let id = row.integer("id"), let outcome = StoredValues.outcome(row.text("outcome_json")), let value = part(outcome) else { continue }
                result[id] = value
            }
            return result
        }
    }
}

extension PostgresHistory {
    /// Recomputes the evidence chain, as `HistoryStore.verifyEvidence` does in SQLite (one walk:
    /// `EvidenceWalk`); every host computes the same head.
    public func verifyEvidence(since: Date? = nil, retention: TimeSpan? = nil, now: Date = Date()) async throws -> EvidenceCheck {
        let anchor = try await rows("SELECT * FROM evidence_anchor WHERE id = 1").first.flatMap { row -> EvidenceAnchor? in
            guard let seq = row.integer("chain_seq"), let hash = row.text("entry_hash"), let pruned = row.date("pruned_at") else { return nil }
            return EvidenceAnchor(seq: seq, entryHash: hash, prunedAt: pruned, cutoff: row.date("cutoff"))
        }
        var walk = EvidenceWalk(anchor: anchor, partial: since != nil, retention: retention, now: now)
        let from: Int64
        if let since {
            from = try await rows(
                "SELECT MIN(chain_seq) AS first FROM run WHERE chain_seq IS NOT NULL AND finished >= \(since.timeIntervalSince1970)"
            ).first?.integer("first") ?? Int64.max
        } else {
            from = 0
        }
        let findingRows = try await rows(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(Self.findingColumns) FROM finding WHERE run_id IN (SELECT id FROM run WHERE chain_seq >= $1) ORDER BY run_id, position
                    """, binds: Self.binds(from)))
        let findings = Dictionary(grouping: findingRows) { $0.integer("run_id") ?? 0 }
        // Pages of runs in chain order: a long history is never held whole.
        var after = from - 1
        while true {
            let page = try await rows("SELECT * FROM run WHERE chain_seq > \(after) ORDER BY chain_seq LIMIT 5000")
            for row in page { walk.visit(row, findings: findings[row.integer("id") ?? 0] ?? []) }
            guard let last = page.last?.integer("chain_seq"), page.count == 5000 else { break }
            after = last
        }
        let unchained = try await rows("SELECT id FROM run WHERE chain_seq IS NULL AND status <> 'started' ORDER BY id").compactMap { $0.integer("id") }
        return walk.finish(unchained: unchained)
    }

    /// The stored entry hash of each run (runs not in the history are absent).
    public func entryHashes(runIDs: [Int64]) async throws -> [Int64: String] {
        var result: [Int64: String] = [:]
        for row in try await rows("SELECT id, entry_hash FROM run WHERE id = ANY(\(runIDs))") {
            if let id = row.integer("id"), let hash = row.text("entry_hash") { result[id] = hash }
        }
        return result
    }
}
