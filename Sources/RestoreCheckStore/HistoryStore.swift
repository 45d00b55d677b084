import Foundation
import GRDB
import RestoreCheckCore

/// The outcome history: one SQLite file under `state_dir`, shared by the daemon and `restorecheck run`.
///
/// Durability rules (a verifier that loses its evidence on a power cut is no verifier):
/// - WAL with `synchronous=FULL` — NORMAL can roll back the last commits on power loss;
/// - a run row is written as `started` *before* the archive is opened, and completed with its findings
///   in one transaction after; a row still `started` at the next start-up becomes `aborted`;
/// - one writer (a `DatabaseQueue`), and a busy timeout so `run` and the daemon can share the file;
/// - a file that is not a database at start-up is moved aside (never deleted) and a fresh one started.
public final class HistoryStore: Sendable {
    let queue: DatabaseQueue
    public let path: String
    /// Set when a damaged database was moved aside at open: the path it was moved to.
    public let quarantinedPath: String?

    /// Opens (creating if needed) the history at `path` and runs migrations.
    public init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o750])
        do {
            queue = try Self.open(path)
            quarantinedPath = nil
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT {
            let aside = "\(path).corrupt-\(Int(Date().timeIntervalSince1970))"
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                try FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
            }
            queue = try Self.open(path)
            quarantinedPath = aside
        }
    }

    private static func open(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // WAL set here, not with `configuration.journalMode = .wal`: GRDB's WAL set-up runs after
        // `prepareDatabase` and sets `synchronous = NORMAL` ("many applications choose NORMAL"), which
        // silently undid FULL. Order matters: journal mode first, then synchronous.
        configuration.prepareDatabase { db in
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode == "wal" else { throw DatabaseError(message: "could not switch \(path) to WAL (journal_mode is \(mode ?? "?"))") }
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try migrator.migrate(queue)
        // A damaged file can open and migrate; a quick check reads every page header.
        let check = try queue.read { try String.fetchOne($0, sql: "PRAGMA quick_check") }
        if check != "ok" { throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: check) }
        return queue
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs and findings") { db in
            try db.create(table: "run") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("target", .text).notNull()
                table.column("tenant", .text).notNull()
                // started | passed | failed | error | aborted
                table.column("status", .text).notNull()
                table.column("reasons", .text).notNull().defaults(to: "")
                table.column("origin", .text).notNull()  // serve | run | restore
                table.column("started", .double).notNull()
                table.column("finished", .double)
                table.column("archive", .text)
                table.column("backup_timestamp", .double)
                table.column("restore_seconds", .double)
                table.column("projected_full_restore_seconds", .double)
                table.column("files_verified", .integer)
                table.column("bytes_restored", .integer)
                table.column("checksum_mismatches", .integer)
                table.column("outcome_json", .text)
            }
            try db.create(index: "run_by_target", on: "run", columns: ["target", "started"])
            try db.create(table: "finding") { table in
                table.column("run_id", .integer).notNull().references("run", onDelete: .cascade)
                table.column("path", .text).notNull()
                table.column("reason", .text).notNull()
                table.column("detail", .text)
                table.column("expected_sha256", .text)
                table.column("actual_sha256", .text)
            }
            try db.create(index: "finding_by_run", on: "finding", columns: ["run_id"])
        }
        migrator.registerMigration("v2: report columns and the evidence chain") { db in
            try db.alter(table: "run") { table in
                table.add(column: "archive_bytes", .integer)
                table.add(column: "manifest_sha256", .text)
                table.add(column: "sample", .text)
                table.add(column: "seed", .text)
                table.add(column: "rpo_seconds", .double)
                table.add(column: "rto_seconds", .double)
                table.add(column: "rto_met", .boolean)
                table.add(column: "findings_count", .integer)
                table.add(column: "chain_seq", .integer)
                table.add(column: "prev_hash", .text)
                table.add(column: "entry_hash", .text)
            }
            try db.create(index: "run_chain", on: "run", columns: ["chain_seq"], options: .unique)
            try db.create(index: "run_by_tenant", on: "run", columns: ["tenant", "finished"])
            // The last chain entry retention deleted: `verify` starts from it (one row, id 1).
            try db.create(table: "evidence_anchor") { table in
                table.column("id", .integer).primaryKey().check { $0 == 1 }
                table.column("chain_seq", .integer).notNull()
                table.column("entry_hash", .text).notNull()
                table.column("pruned_at", .double).notNull()
            }
            // Older runs: the report columns from their stored outcome, then chained in finish order.
            let rows = try Row.fetchAll(db, sql: "SELECT id, outcome_json FROM run WHERE outcome_json IS NOT NULL")
            for row in rows {
                let json: String = row["outcome_json"]
                guard let outcome = try? Outcome.jsonDecoder().decode(Outcome.self, from: Data(json.utf8)) else { continue }
                try db.execute(sql: "UPDATE run SET \(reportColumnAssignments) WHERE id = ?", arguments: reportColumnValues(outcome) + [row["id"]])
            }
            let finished = try Int64.fetchAll(
                db, sql: "SELECT id FROM run WHERE status != 'started' ORDER BY COALESCE(finished, started), id")
            for id in finished { try EvidenceChain.link(db, runID: id) }
        }
        migrator.registerMigration("v3: the retention anchor's cutoff") { db in
            // Runs that started before it were deleted: `verify` checks it against history_days.
            try db.alter(table: "evidence_anchor") { table in table.add(column: "cutoff", .double) }
        }
        migrator.registerMigration("v4: the notification outbox") { db in
            // The breaches the outbox last recorded as open, one per target and kind.
            try db.create(table: "breach_open") { table in
                table.column("target", .text).notNull()
                table.column("kind", .text).notNull()
                table.column("tenant", .text).notNull()
                table.column("breach_id", .text).notNull()
                table.column("opened", .double).notNull()
                table.column("detail", .text).notNull()
                table.primaryKey(["target", "kind"])
            }
            // When the outbox first saw each target (a target never tested is untested from then).
            try db.create(table: "watched_target") { table in
                table.column("target", .text).primaryKey()
                table.column("since", .double).notNull()
            }
            try db.create(table: "outbox") { table in
                table.autoIncrementedPrimaryKey("seq")
                table.column("breach_id", .text).notNull()
                table.column("state", .text).notNull()  // opened | resolved
                table.column("tenant", .text).notNull()
                table.column("target", .text).notNull()
                table.column("kind", .text).notNull()
                table.column("opened", .double).notNull()
                table.column("resolved", .double)
                table.column("detail", .text).notNull()
                table.column("recorded", .double).notNull()
            }
            // A channel receives the events recorded after it was first seen (`since_seq`).
            try db.create(table: "outbox_channel") { table in
                table.column("name", .text).primaryKey()
                table.column("since_seq", .integer).notNull()
            }
            try db.create(table: "outbox_delivery") { table in
                table.column("seq", .integer).notNull().references("outbox", column: "seq", onDelete: .cascade)
                table.column("channel", .text).notNull()
                table.column("attempts", .integer).notNull().defaults(to: 0)
                table.column("retry_at", .double)
                // Set when the receiver acknowledged it, or the channel's filters left it out.
                table.column("delivered", .double)
                table.column("last_error", .text)
                table.primaryKey(["seq", "channel"])
            }
            // Scheduled report deliveries: the last due time each delivery covered.
            try db.create(table: "report_delivery") { table in
                table.column("name", .text).primaryKey()
                table.column("last_due", .double).notNull()
                table.column("attempts", .integer).notNull().defaults(to: 0)
                table.column("retry_at", .double)
                table.column("last_error", .text)
            }
        }
        return migrator
    }

    /// Records that a test of `target` is starting; returns the run's id.
    public func beginRun(target: String, tenant: String, started: Date, origin: String) throws -> Int64 {
        try queue.write { try Self.insertRun($0, target: target, tenant: tenant, started: started, origin: origin) }
    }

    /// `beginRun` for async callers (the scheduler, `run`): the write waits on GRDB's writer queue,
    /// not on one of the cooperative pool's two threads (a busy database may take up to the 10 s
    /// busy timeout, and the scheduler loop that feeds systemd's watchdog runs on that pool).
    public func beginRun(target: String, tenant: String, started: Date, origin: String) async throws -> Int64 {
        try await queue.write { try Self.insertRun($0, target: target, tenant: tenant, started: started, origin: origin) }
    }

    /// Completes a run with its outcome and findings, in one transaction.
    public func complete(runID: Int64, outcome: Outcome) throws {
        let json = try Self.json(outcome)
        try queue.write { try Self.complete($0, runID: runID, outcome: outcome, json: json) }
    }

    /// `complete` for async callers (see the async `beginRun`).
    public func complete(runID: Int64, outcome: Outcome) async throws {
        let json = try Self.json(outcome)
        try await queue.write { try Self.complete($0, runID: runID, outcome: outcome, json: json) }
    }

    /// Marks a run that was stopped before it finished (shutdown, Ctrl-C).
    public func abort(runID: Int64, at date: Date) throws {
        try queue.write { try Self.abort($0, runID: runID, at: date) }
    }

    /// `abort` for async callers (see the async `beginRun`).
    public func abort(runID: Int64, at date: Date) async throws {
        try await queue.write { try Self.abort($0, runID: runID, at: date) }
    }

    private static func insertRun(_ db: Database, target: String, tenant: String, started: Date, origin: String) throws -> Int64 {
        try db.execute(
            sql: "INSERT INTO run (target, tenant, status, origin, started) VALUES (?, ?, 'started', ?, ?)",
            arguments: [target, tenant, origin, started.timeIntervalSince1970])
        return db.lastInsertedRowID
    }

    private static func json(_ outcome: Outcome) throws -> String {
        String(decoding: try Outcome.jsonEncoder().encode(outcome), as: UTF8.self)
    }

    private static func complete(_ db: Database, runID: Int64, outcome: Outcome, json: String) throws {
        try db.execute(
            sql: """
                UPDATE run SET status = ?, reasons = ?, started = ?, finished = ?, archive = ?, backup_timestamp = ?,
                  restore_seconds = ?, projected_full_restore_seconds = ?, files_verified = ?, bytes_restored = ?,
                  checksum_mismatches = ?, outcome_json = ?, \(reportColumnAssignments)
                WHERE id = ?
                """,
            arguments: [
                outcome.status.rawValue, outcome.reasons.map(\.rawValue).joined(separator: ","),
                outcome.started.timeIntervalSince1970, outcome.finished.timeIntervalSince1970, outcome.archive,
                outcome.backupTimestamp?.timeIntervalSince1970, outcome.restoreSeconds,
                outcome.projectedFullRestoreSeconds, outcome.filesVerified, outcome.bytesRestored,
                outcome.findings.count { $0.reason == .checksumMismatch }, json,
            ] + reportColumnValues(outcome) + [runID])
        for finding in outcome.findings {
            try db.execute(
                sql: "INSERT INTO finding (run_id, path, reason, detail, expected_sha256, actual_sha256) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [runID, finding.path, finding.reason.rawValue, finding.detail, finding.expectedSHA256, finding.actualSHA256])
        }
        try EvidenceChain.link(db, runID: runID)
        try recordBreachChanges(db, afterRun: runID, outcome: outcome)
    }

    /// The columns reports read without decoding the outcome (see `RecordedRun`).
    private static let reportColumnAssignments =
        "archive_bytes = ?, manifest_sha256 = ?, sample = ?, seed = ?, rpo_seconds = ?, rto_seconds = ?, rto_met = ?, findings_count = ?"

    private static func reportColumnValues(_ outcome: Outcome) -> StatementArguments {
        [
            outcome.archiveBytes, outcome.manifestSha256, outcome.sample, String(outcome.seed), outcome.rpoSeconds,
            outcome.rtoSeconds, outcome.rtoMet, outcome.findings.count + outcome.findingsOmitted,
        ]
    }

    private static func abort(_ db: Database, runID: Int64, at date: Date) throws {
        try db.execute(
            sql: "UPDATE run SET status = 'aborted', finished = ? WHERE id = ? AND status = 'started'",
            arguments: [date.timeIntervalSince1970, runID])
        if db.changesCount > 0 { try EvidenceChain.link(db, runID: runID) }
    }

    /// Turns runs left `started` by a process that died (kill -9, power loss) into `aborted`.
    @discardableResult
    public func abortLeftovers() throws -> Int { try queue.write(Self.abortLeftovers) }

    static func abortLeftovers(_ db: Database) throws -> Int {
        let leftovers = try Int64.fetchAll(db, sql: "SELECT id FROM run WHERE status = 'started' ORDER BY started, id")
        for id in leftovers {
            try db.execute(sql: "UPDATE run SET status = 'aborted' WHERE id = ?", arguments: [id])
            try EvidenceChain.link(db, runID: id)
        }
        return leftovers.count
    }

    /// Deletes runs (and their findings) that started before `cutoff`. The evidence chain loses only
    /// a prefix: every chained run up to the newest chain entry among them goes, and that entry's
    /// hash is kept as the anchor `verify` starts from.
    @discardableResult
    public func prune(before cutoff: Date) throws -> Int {
        try queue.write { try Self.prune($0, before: cutoff) }
    }

    static func prune(_ db: Database, before cutoff: Date) throws -> Int {
        let cutoffSeconds = cutoff.timeIntervalSince1970
        guard let last = try Int64.fetchOne(
            db, sql: "SELECT MAX(chain_seq) FROM run WHERE started < ? AND chain_seq IS NOT NULL", arguments: [cutoffSeconds])
        else {
            try db.execute(sql: "DELETE FROM run WHERE started < ? AND status = 'started'", arguments: [cutoffSeconds])
            let deleted = db.changesCount
            try pruneOutbox(db, before: cutoff)
            return deleted
        }
        let hash = try String.fetchOne(db, sql: "SELECT entry_hash FROM run WHERE chain_seq = ?", arguments: [last])
        try db.execute(
            sql: "INSERT OR REPLACE INTO evidence_anchor (id, chain_seq, entry_hash, pruned_at, cutoff) VALUES (1, ?, ?, ?, ?)",
            arguments: [last, hash, Date().timeIntervalSince1970, cutoffSeconds])
        try db.execute(sql: "DELETE FROM run WHERE chain_seq <= ?", arguments: [last])
        let deleted = db.changesCount
        try pruneOutbox(db, before: cutoff)
        return deleted
    }

    /// The newest completed-or-running run of every target, in name order.
    public func latestPerTarget() throws -> [RunRecord] { try queue.read(Self.latestPerTarget) }

    /// The newest `limit` runs of `target`, newest first.
    public func history(target: String, limit: Int) throws -> [RunRecord] {
        try queue.read { try Self.history($0, target: target, limit: limit) }
    }

    /// Per target: when its newest *completed* test started (see `RunHistory.lastStarted`).
    public func lastStarted() throws -> [String: Date] { try queue.read(Self.lastStarted) }

    /// Per target: the verified restore point (see `RunHistory.verifiedRestorePoints`).
    public func verifiedRestorePoints() throws -> [String: VerifiedRestorePoint] { try queue.read(Self.verifiedRestorePoints) }

    /// Findings of one run.
    public func findings(runID: Int64) throws -> [Finding] {
        try queue.read { try Self.findings($0, runID: runID) }
    }

    /// The newest test per target: restores (`restorecheck restore`) are recorded but are not tests
    /// of the target, so `status`, the monitoring check and the daemon's gauges skip them.
    static func latestPerTarget(_ db: Database) throws -> [RunRecord] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM run r WHERE id = (
                  SELECT id FROM run WHERE target = r.target AND origin <> ? ORDER BY started DESC, id DESC LIMIT 1)
                ORDER BY tenant, target
                """, arguments: [RestoreRunner.origin]
        ).map { try StoredValues.runRecord($0.stored) }
    }

    static func history(_ db: Database, target: String, limit: Int) throws -> [RunRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM run WHERE target = ? ORDER BY started DESC, id DESC LIMIT ?", arguments: [target, limit])
            .map { try StoredValues.runRecord($0.stored) }
    }

    /// When each target's newest test started (a restore does not postpone the next test).
    static func lastStarted(_ db: Database) throws -> [String: Date] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT target, MAX(started) AS started FROM run WHERE status IN ('passed', 'failed', 'error') AND origin <> ? GROUP BY target",
            arguments: [RestoreRunner.origin])
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["target"], Date(timeIntervalSince1970: $0["started"])) })
    }

    /// Folded from the passed tests by the rule's one home (`VerifiedRestorePoint`); the SQL only
    /// selects the runs (restores are not tests).
    static func verifiedRestorePoints(_ db: Database) throws -> [String: VerifiedRestorePoint] {
        let rows = try Row.fetchCursor(
            db, sql: "SELECT target, backup_timestamp, finished FROM run WHERE status = 'passed' AND finished IS NOT NULL AND origin <> ?",
            arguments: [RestoreRunner.origin])
        var result: [String: VerifiedRestorePoint] = [:]
        while let row = try rows.next() {
            let target: String = row["target"]
            result[target] = VerifiedRestorePoint.folding(
                result[target], status: .passed, backup: row.stored.date("backup_timestamp"),
                finished: Date(timeIntervalSince1970: row["finished"]))
        }
        return result
    }

    static func findings(_ db: Database, runID: Int64) throws -> [Finding] {
        try Row.fetchAll(db, sql: "SELECT * FROM finding WHERE run_id = ? ORDER BY rowid", arguments: [runID]).map { try StoredValues.finding($0.stored) }
    }

    /// A read on the store's connection, for the store's own extensions (evidence, reports).
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.read(body)
    }

    /// A setting as the store's own connection has it (`PRAGMA journal_mode`, `synchronous`...):
    /// per-connection settings are invisible to another process, so only this can prove them.
    func pragma(_ name: String) throws -> String? {
        try queue.read { try String.fetchOne($0, sql: "PRAGMA \(name)") }
    }

    /// `PRAGMA integrity_check` ("ok" when healthy).
    public func integrityCheck() throws -> String {
        try queue.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") ?? "no answer" }
    }
}
