import Foundation
import GRDB
import RestoreCheckCore

/// The notification outbox in SQLite (`EventOutbox`): events are recorded in the transaction of the
/// run or sweep that caused them, and delivered after, per channel, in order.
extension HistoryStore: EventOutbox {
    /// The ledger's fixed rules (the reports' own), which notifications follow too.
    static let breachRules = ReportRules()

    /// In `complete`'s transaction: what the run changed for its target. A restore is not a test and
    /// changes nothing.
    static func recordBreachChanges(_ db: Database, afterRun runID: Int64, outcome: Outcome) throws {
        guard let origin = try String.fetchOne(db, sql: "SELECT origin FROM run WHERE id = ?", arguments: [runID]),
            origin != RestoreRunner.origin
        else { return }
        // Evaluated a millisecond after the run finished: the ledger's intervals are half-open, and
        // at the finishing instant itself the run's own result is not yet in force.
        try recordBreachChanges(
            db, WatchedTarget(name: outcome.target, tenant: outcome.tenant, rpoSeconds: outcome.rpoSeconds),
            now: outcome.finished.addingTimeInterval(0.001))
    }

    @discardableResult
    static func recordBreachChanges(_ db: Database, _ target: WatchedTarget, now: Date) throws -> Int {
        try db.execute(
            sql: "INSERT OR IGNORE INTO watched_target (target, since) VALUES (?, ?)",
            arguments: [target.name, now.timeIntervalSince1970])
        let since = try Double.fetchOne(db, sql: "SELECT since FROM watched_target WHERE target = ?", arguments: [target.name]) ?? now.timeIntervalSince1970
        let tests = try Row.fetchAll(
            db,
            sql: """
                SELECT \(StoredValues.recordedRunColumns) FROM run
                WHERE target = ? AND status != 'started' AND finished IS NOT NULL AND finished <= ? AND origin <> ?
                ORDER BY finished, id
                """,
            arguments: [target.name, now.timeIntervalSince1970, RestoreRunner.origin]
        ).map { try StoredValues.recordedRun($0.stored) }
        let changes = BreachChanges(
            tenant: target.tenant, target: target.name, tests: tests, rpoSeconds: target.rpoSeconds, rules: breachRules,
            watchedSince: Date(timeIntervalSince1970: since), now: now, previouslyOpen: try openBreaches(db, target: target.name))
        for event in changes.events { try record(db, event) }
        return changes.events.count
    }

    /// Appends `event` to the outbox and keeps `breach_open` in step.
    private static func record(_ db: Database, _ event: BreachEvent) throws {
        try db.execute(
            sql: """
                INSERT INTO outbox (breach_id, state, tenant, target, kind, opened, resolved, detail, recorded)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                event.breachID, event.state.rawValue, event.tenant, event.target, event.kind.rawValue,
                event.opened.timeIntervalSince1970, event.resolved?.timeIntervalSince1970, event.detail,
                event.recorded.timeIntervalSince1970,
            ])
        switch event.state {
        case .opened:
            try db.execute(
                sql: "INSERT OR REPLACE INTO breach_open (target, kind, tenant, breach_id, opened, detail) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [event.target, event.kind.rawValue, event.tenant, event.breachID, event.opened.timeIntervalSince1970, event.detail])
        case .resolved:
            try db.execute(
                sql: "DELETE FROM breach_open WHERE target = ? AND kind = ? AND breach_id = ?",
                arguments: [event.target, event.kind.rawValue, event.breachID])
        }
    }

    private static func openBreaches(_ db: Database, target: String?) throws -> [BreachEvent] {
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT * FROM breach_open \(target == nil ? "" : "WHERE target = ?") ORDER BY tenant, target, kind",
            arguments: target.map { [$0] } ?? [])
        return try rows.map { try StoredValues.openBreach($0.stored) }
    }

    /// One transaction per target: a sweep of 2,000 targets never holds the write lock long enough
    /// to make a test's own write wait.
    public func refreshBreaches(_ targets: [WatchedTarget], now: Date) async throws -> Int {
        var recorded = 0
        for target in targets {
            recorded += try await queue.write { try Self.recordBreachChanges($0, target, now: now) }
        }
        let configured = Set(targets.map(\.name))
        let resolved = try await queue.write { db in
            let removed = try Self.openBreaches(db, target: nil).filter { !configured.contains($0.target) }
            let events = BreachChanges(removedTargetBreaches: removed, now: now).events
            for event in events { try Self.record(db, event) }
            return events.count
        }
        return recorded + resolved
    }

    /// Makes each channel known to the outbox (from the next event on) before anything it could be
    /// sent is recorded: `run` and `serve` call it at start.
    public func registerChannels(_ names: [String]) async throws {
        try await queue.write { db in
            let last = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM outbox") ?? 0
            for name in names {
                try db.execute(sql: "INSERT OR IGNORE INTO outbox_channel (name, since_seq) VALUES (?, ?)", arguments: [name, last])
            }
        }
    }

    public func pendingEvents(channel: String, now: Date, limit: Int) async throws -> [PendingEvent] {
        try await queue.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT o.*, COALESCE(d.attempts, 0) AS attempts, d.retry_at FROM outbox o
                    JOIN outbox_channel c ON c.name = ?
                    LEFT JOIN outbox_delivery d ON d.seq = o.seq AND d.channel = c.name
                    WHERE o.seq > c.since_seq AND d.delivered IS NULL
                    ORDER BY o.seq LIMIT ?
                    """,
                arguments: [channel, limit])
            var pending: [PendingEvent] = []
            for row in rows {
                // In order per channel: one waiting out its retry holds back those after it.
                if let retryAt: Double = row["retry_at"], retryAt > now.timeIntervalSince1970 { break }
                pending.append(PendingEvent(event: try StoredValues.outboxEvent(row.stored), attempts: row["attempts"]))
            }
            return pending
        }
    }

    public func markDelivered(sequence: Int64, channel: String, at: Date) async throws {
        try await queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO outbox_delivery (seq, channel, attempts, delivered) VALUES (?, ?, 1, ?)
                    ON CONFLICT (seq, channel) DO UPDATE SET attempts = attempts + 1, delivered = excluded.delivered, retry_at = NULL
                    """,
                arguments: [sequence, channel, at.timeIntervalSince1970])
        }
    }

    public func markFailed(sequence: Int64, channel: String, error: String, retryAt: Date) async throws {
        try await queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO outbox_delivery (seq, channel, attempts, retry_at, last_error) VALUES (?, ?, 1, ?, ?)
                    ON CONFLICT (seq, channel) DO UPDATE SET attempts = attempts + 1, retry_at = excluded.retry_at,
                      last_error = excluded.last_error
                    """,
                arguments: [sequence, channel, retryAt.timeIntervalSince1970, error])
        }
    }

    public func outboxBacklog(channels: [String]) async throws -> [String: ChannelBacklog] {
        try await queue.read { db in
            var result: [String: ChannelBacklog] = [:]
            for channel in channels {
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT o.recorded, d.last_error FROM outbox o
                        JOIN outbox_channel c ON c.name = ?
                        LEFT JOIN outbox_delivery d ON d.seq = o.seq AND d.channel = c.name
                        WHERE o.seq > c.since_seq AND d.delivered IS NULL
                        ORDER BY o.seq
                        """,
                    arguments: [channel])
                result[channel] = ChannelBacklog(
                    waiting: rows.count, oldest: rows.first.flatMap { $0.stored.date("recorded") },
                    lastError: rows.first?["last_error"])
            }
            return result
        }
    }

    public func openBreaches() async throws -> [BreachEvent] {
        try await queue.read { try Self.openBreaches($0, target: nil) }
    }

    /// With retention: events recorded before `cutoff` go, delivered or not (their runs are gone too).
    static func pruneOutbox(_ db: Database, before cutoff: Date) throws {
        try db.execute(sql: "DELETE FROM outbox WHERE recorded < ?", arguments: [cutoff.timeIntervalSince1970])
    }
}
