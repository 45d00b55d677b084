import Foundation
import PostgresNIO
import RestoreCheckCore

/// Recording and reading runs (`RunHistory`), in PostgreSQL.
extension PostgresHistory: RunHistory {
    public func beginRun(target: String, tenant: String, started: Date, origin: String) async throws -> Int64 {
        let rows = try await rows(
            """
            INSERT INTO run (target, tenant, status, origin, started, node)
            VALUES (\(target), \(tenant), 'started', \(origin), \(started.timeIntervalSince1970), \(node)) RETURNING id
            """)
        guard let id = rows.first?.integer("id") else { throw PostgresHistoryError("the history returned no run id") }
        return id
    }

    public func complete(runID: Int64, outcome: Outcome) async throws {
        try await transaction { [self] connection in try await record(connection, runID: runID, outcome: outcome) }
    }

    /// Records a running run's outcome, its findings, its chain link and the breach changes it makes,
    /// inside the caller's transaction (a fleet job's end commits with them: `PostgresHistory+Queue`).
    func record(_ connection: PostgresConnection, runID: Int64, outcome: Outcome) async throws {
        let json = String(decoding: try Outcome.jsonEncoder().encode(outcome), as: UTF8.self)
        let updated = try await Self.rows(
            connection,
            """
            UPDATE run SET status = \(outcome.status.rawValue), reasons = \(outcome.reasons.map(\.rawValue).joined(separator: ",")),
              started = \(outcome.started.timeIntervalSince1970), finished = \(outcome.finished.timeIntervalSince1970),
              archive = \(outcome.archive), backup_timestamp = \(outcome.backupTimestamp?.timeIntervalSince1970),
              restore_seconds = \(outcome.restoreSeconds), projected_full_restore_seconds = \(outcome.projectedFullRestoreSeconds),
              files_verified = \(Int64(outcome.filesVerified)), bytes_restored = \(outcome.bytesRestored),
              checksum_mismatches = \(Int64(outcome.findings.count { $0.reason == .checksumMismatch })), outcome_json = \(json),
              archive_bytes = \(outcome.archiveBytes), manifest_sha256 = \(outcome.manifestSha256), sample = \(outcome.sample),
              seed = \(String(outcome.seed)), rpo_seconds = \(outcome.rpoSeconds), rto_seconds = \(outcome.rtoSeconds),
              rto_met = \(outcome.rtoMet.map { Int64($0 ? 1 : 0) }), findings_count = \(Int64(outcome.findings.count + outcome.findingsOmitted))
            WHERE id = \(runID) AND status = 'started' RETURNING origin
            """, logger: logger)
        guard let origin = updated.first?.text("origin") else {
            // A retry after a lost COMMIT finds its own outcome already there: recorded once.
            let stored = try await Self.rows(connection, "SELECT outcome_json FROM run WHERE id = \(runID)", logger: logger).first
            if stored?.text("outcome_json") == json { return }
            // Only a running run completes: one another process already ended (aborted) keeps its end.
            throw PostgresHistoryError("run \(runID) is not running any more: its outcome was not recorded")
        }
        for finding in outcome.findings {
            try await connection.query(
                """
                INSERT INTO finding (run_id, path, reason, detail, expected_sha256, actual_sha256)
                VALUES (\(runID), \(finding.path), \(finding.reason.rawValue), \(finding.detail), \(finding.expectedSHA256), \(finding.actualSHA256))
                """, logger: logger)
        }
        try await link(connection, runID: runID)
        // A restore is not a test and changes no breach. Evaluated a millisecond after the run
        // finished: the ledger's intervals are half-open (see the SQLite store).
        if origin != RestoreRunner.origin {
            _ = try await recordBreachChanges(
                connection, WatchedTarget(name: outcome.target, tenant: outcome.tenant, rpoSeconds: outcome.rpoSeconds),
                now: outcome.finished.addingTimeInterval(0.001))
        }
    }

    public func abort(runID: Int64, at date: Date) async throws {
        try await transaction { [self] connection in try await abort(connection, runID: runID, at: date) }
    }

    /// Ends a running run `aborted`, chained, inside the caller's transaction (a run already ended
    /// keeps its end).
    func abort(_ connection: PostgresConnection, runID: Int64, at date: Date) async throws {
        let changed = try await Self.rows(
            connection, "UPDATE run SET status = 'aborted', finished = \(date.timeIntervalSince1970) WHERE id = \(runID) AND status = 'started' RETURNING id",
            logger: logger)
        if !changed.isEmpty { try await link(connection, runID: runID) }
    }

    /// This host's runs left `started` (another host's may still be running).
    public func abortLeftovers() async throws -> Int {
        try await transaction { [self] connection in
            let leftovers = try await Self.rows(
                connection, "SELECT id FROM run WHERE status = 'started' AND node = \(node) ORDER BY started, id FOR UPDATE", logger: logger
            ).compactMap { $0.integer("id") }
            for id in leftovers {
                try await connection.query("UPDATE run SET status = 'aborted' WHERE id = \(id)", logger: logger)
                try await link(connection, runID: id)
            }
            return leftovers.count
        }
    }

    /// Deletes the runs that started before `cutoff`, as the SQLite store does: the chain loses only a
    /// prefix, whose last hash becomes the anchor.
    public func prune(before cutoff: Date) async throws -> Int {
        let cutoffSeconds = cutoff.timeIntervalSince1970
        return try await transaction { [self] connection in
            // Hold the head: no append while the prefix goes.
            try await connection.query("SELECT chain_seq FROM chain_head WHERE id = 1 FOR UPDATE", logger: logger)
            let last = try await Self.rows(
                connection, "SELECT MAX(chain_seq) AS last FROM run WHERE started < \(cutoffSeconds) AND chain_seq IS NOT NULL", logger: logger
            ).first?.integer("last")
            let deleted: Int
            if let last {
                let hash = try await Self.rows(connection, "SELECT entry_hash FROM run WHERE chain_seq = \(last)", logger: logger).first?.text("entry_hash")
                try await connection.query(
                    """
                    INSERT INTO evidence_anchor (id, chain_seq, entry_hash, pruned_at, cutoff)
                    VALUES (1, \(last), \(hash ?? ""), \(Date().timeIntervalSince1970), \(cutoffSeconds))
                    ON CONFLICT (id) DO UPDATE SET chain_seq = excluded.chain_seq, entry_hash = excluded.entry_hash,
                      pruned_at = excluded.pruned_at, cutoff = excluded.cutoff
                    """, logger: logger)
                deleted = try await Self.rows(connection, "DELETE FROM run WHERE chain_seq <= \(last) RETURNING id", logger: logger).count
            } else {
                deleted = try await Self.rows(
                    connection, "DELETE FROM run WHERE started < \(cutoffSeconds) AND status = 'started' RETURNING id", logger: logger
                ).count
            }
            try await connection.query("DELETE FROM outbox WHERE recorded < \(cutoffSeconds)", logger: logger)
            try await connection.query("DELETE FROM fleet_job WHERE ended < \(cutoffSeconds)", logger: logger)
            return deleted
        }
    }

    public func latestPerTarget() async throws -> [RunRecord] {
        try await rows(
            """
            SELECT DISTINCT ON (target) * FROM run WHERE origin <> \(RestoreRunner.origin)
            ORDER BY target, started DESC, id DESC
            """
        ).map(StoredValues.runRecord).sorted { ($0.tenant, $0.target) < ($1.tenant, $1.target) }
    }

    public func history(target: String, limit: Int) async throws -> [RunRecord] {
        try await rows("SELECT * FROM run WHERE target = \(target) ORDER BY started DESC, id DESC LIMIT \(Int64(limit))").map(StoredValues.runRecord)
    }

    public func lastStarted() async throws -> [String: Date] {
        let rows = try await rows(
            """
            SELECT target, MAX(started) AS started FROM run
            WHERE status IN ('passed', 'failed', 'error') AND origin <> \(RestoreRunner.origin) GROUP BY target
            """)
        return Dictionary(uniqueKeysWithValues: rows.compactMap { row in row.text("target").flatMap { target in row.date("started").map { (target, $0) } } })
    }

    /// Folded from the passed tests by the rule's one home (`VerifiedRestorePoint`).
    public func verifiedRestorePoints() async throws -> [String: VerifiedRestorePoint] {
        let rows = try await rows(
            """
            SELECT target, backup_timestamp, finished FROM run
            WHERE status = 'passed' AND finished IS NOT NULL AND origin <> \(RestoreRunner.origin)
            """)
        var result: [String: VerifiedRestorePoint] = [:]
        for row in rows {
            guard let target = row.text("target"), let finished = row.date("finished") else { continue }
            result[target] = VerifiedRestorePoint.folding(result[target], status: .passed, backup: row.date("backup_timestamp"), finished: finished)
        }
        return result
    }

    public func findings(runID: Int64) async throws -> [Finding] {
        try await rows("SELECT * FROM finding WHERE run_id = \(runID) ORDER BY position").map(StoredValues.finding)
    }

    /// Links a run that just reached its end state into the chain, inside its recording transaction.
    /// The head row's lock makes appends from every host take turns.
    func link(_ connection: PostgresConnection, runID: Int64) async throws {
        guard let head = try await Self.rows(connection, "SELECT chain_seq, entry_hash FROM chain_head WHERE id = 1 FOR UPDATE", logger: logger).first,
            let seq = head.integer("chain_seq")
        else { throw PostgresHistoryError("the history has no chain_head row (a damaged schema)") }
        let previous = head.text("entry_hash").flatMap(Hex.decode) ?? EvidenceRecord.genesis
        let hash = EvidenceRecord.entryHash(previous: previous, record: try await canonicalRecord(connection, runID: runID))
        try await connection.query(
            "UPDATE run SET chain_seq = \(seq + 1), prev_hash = \(Hex.encode(previous)), entry_hash = \(hash) WHERE id = \(runID)", logger: logger)
        try await connection.query("UPDATE chain_head SET chain_seq = \(seq + 1), entry_hash = \(hash) WHERE id = 1", logger: logger)
    }

    func canonicalRecord(_ connection: PostgresConnection, runID: Int64) async throws -> [UInt8] {
        guard let run = try await Self.rows(connection, "SELECT * FROM run WHERE id = \(runID)", logger: logger).first else {
            throw PostgresHistoryError("run \(runID) is not in the history")
        }
        let findings = try await Self.rows(
            connection, PostgresQuery(unsafeSQL: "SELECT \(Self.findingColumns) FROM finding WHERE run_id = $1 ORDER BY position", binds: Self.binds(runID)),
            logger: logger)
        return EvidenceRecord.canonical(run: run, findings: findings)
    }

    /// The finding columns a chained record holds (not the table's own `position`).
    static let findingColumns = EvidenceRecord.findingColumns.joined(separator: ", ")

    static func binds(_ values: Int64...) -> PostgresBindings {
        var binds = PostgresBindings()
        for value in values { binds.append(value) }
        return binds
    }
}
