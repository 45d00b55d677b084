import Foundation
import PostgresNIO
import RestoreCheckCore

/// The notification outbox in PostgreSQL (`EventOutbox`): the same rules as the SQLite store's
/// (`BreachChanges` decides), with each target's ledger behind an advisory lock, so a host's sweep
/// and another host's finished test never record one change twice.
extension PostgresHistory: EventOutbox {
    /// The ledger's fixed rules (the reports' own).
    static let breachRules = ReportRules()

    func recordBreachChanges(_ connection: PostgresConnection, _ target: WatchedTarget, now: Date) async throws -> Int {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended('breach:' || \(target.name), 0))", logger: logger)
        try await connection.query(
            "INSERT INTO watched_target (target, since) VALUES (\(target.name), \(now.timeIntervalSince1970)) ON CONFLICT (target) DO NOTHING",
            logger: logger)
        let since = try await Self.rows(connection, "SELECT since FROM watched_target WHERE target = \(target.name)", logger: logger).first?.date("since") ?? now
        let tests = try await Self.rows(
            connection,
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(StoredValues.recordedRunColumns) FROM run
                    WHERE target = $1 AND status <> 'started' AND finished IS NOT NULL AND finished <= $2 AND origin <> $3
                    ORDER BY finished, id
                    """,
                binds: {
                    var binds = PostgresBindings()
                    binds.append(target.name)
                    binds.append(now.timeIntervalSince1970)
                    binds.append(RestoreRunner.origin)
                    return binds
                }()), logger: logger
        ).map(StoredValues.recordedRun)
        let previouslyOpen = try await Self.rows(
            connection, "SELECT * FROM breach_open WHERE target = \(target.name) ORDER BY kind", logger: logger
        ).map(StoredValues.openBreach)
        let changes = BreachChanges(
            tenant: target.tenant, target: target.name, tests: tests, rpoSeconds: target.rpoSeconds, rules: Self.breachRules,
            watchedSince: since, now: now, previouslyOpen: previouslyOpen)
        for event in changes.events { try await record(connection, event) }
        return changes.events.count
    }

    /// Appends `event` to the outbox and keeps `breach_open` in step.
    private func record(_ connection: PostgresConnection, _ event: BreachEvent) async throws {
        try await connection.query(
            """
            INSERT INTO outbox (breach_id, state, tenant, target, kind, opened, resolved, detail, recorded)
            VALUES (\(event.breachID), \(event.state.rawValue), \(event.tenant), \(event.target), \(event.kind.rawValue),
              \(event.opened.timeIntervalSince1970), \(event.resolved?.timeIntervalSince1970), \(event.detail), \(event.recorded.timeIntervalSince1970))
            """, logger: logger)
        switch event.state {
        case .opened:
            try await connection.query(
                """
                INSERT INTO breach_open (target, kind, tenant, breach_id, opened, detail)
                VALUES (\(event.target), \(event.kind.rawValue), \(event.tenant), \(event.breachID), \(event.opened.timeIntervalSince1970), \(event.detail))
                ON CONFLICT (target, kind) DO UPDATE SET tenant = excluded.tenant, breach_id = excluded.breach_id,
                  opened = excluded.opened, detail = excluded.detail
                """, logger: logger)
        case .resolved:
            try await connection.query(
                "DELETE FROM breach_open WHERE target = \(event.target) AND kind = \(event.kind.rawValue) AND breach_id = \(event.breachID)",
                logger: logger)
        }
    }

    /// One transaction per target, as in SQLite: a sweep of 2,000 targets never holds a lock long.
    public func refreshBreaches(_ targets: [WatchedTarget], now: Date) async throws -> Int {
        var recorded = 0
        for target in targets {
            recorded += try await transaction { try await self.recordBreachChanges($0, target, now: now) }
        }
        let configured = Set(targets.map(\.name))
        let resolved = try await transaction { [self] connection in
            let open = try await Self.rows(connection, "SELECT * FROM breach_open ORDER BY tenant, target, kind FOR UPDATE", logger: logger)
                .map(StoredValues.openBreach)
            let events = BreachChanges(removedTargetBreaches: open.filter { !configured.contains($0.target) }, now: now).events
            for event in events { try await self.record(connection, event) }
            return events.count
        }
        return recorded + resolved
    }

    public func registerChannels(_ names: [String]) async throws {
        try await transaction { [self] connection in
            let last = try await Self.rows(connection, "SELECT COALESCE(MAX(seq), 0) AS last FROM outbox", logger: logger).first?.integer("last") ?? 0
            for name in names {
                try await connection.query(
                    "INSERT INTO outbox_channel (name, since_seq) VALUES (\(name), \(last)) ON CONFLICT (name) DO NOTHING", logger: logger)
            }
        }
    }

    public func pendingEvents(channel: String, now: Date, limit: Int) async throws -> [PendingEvent] {
        let rows = try await rows(
            """
            SELECT o.*, COALESCE(d.attempts, 0) AS attempts, d.retry_at FROM outbox o
            JOIN outbox_channel c ON c.name = \(channel)
            LEFT JOIN outbox_delivery d ON d.seq = o.seq AND d.channel = c.name
            WHERE o.seq > c.since_seq AND d.delivered IS NULL
            ORDER BY o.seq LIMIT \(Int64(limit))
            """)
        var pending: [PendingEvent] = []
        for row in rows {
            // In order per channel: one waiting out its retry holds back those after it.
            if let retryAt = row.real("retry_at"), retryAt > now.timeIntervalSince1970 { break }
            pending.append(PendingEvent(event: try StoredValues.outboxEvent(row), attempts: Int(row.integer("attempts") ?? 0)))
        }
        return pending
    }

    public func markDelivered(sequence: Int64, channel: String, at: Date) async throws {
        try await execute(
            """
            INSERT INTO outbox_delivery (seq, channel, attempts, delivered) VALUES (\(sequence), \(channel), 1, \(at.timeIntervalSince1970))
            ON CONFLICT (seq, channel) DO UPDATE SET attempts = outbox_delivery.attempts + 1, delivered = excluded.delivered, retry_at = NULL
            """)
    }

    public func markFailed(sequence: Int64, channel: String, error: String, retryAt: Date) async throws {
        try await execute(
            """
            INSERT INTO outbox_delivery (seq, channel, attempts, retry_at, last_error)
            VALUES (\(sequence), \(channel), 1, \(retryAt.timeIntervalSince1970), \(error))
            ON CONFLICT (seq, channel) DO UPDATE SET attempts = outbox_delivery.attempts + 1, retry_at = excluded.retry_at,
              last_error = excluded.last_error
            """)
    }

    public func outboxBacklog(channels: [String]) async throws -> [String: ChannelBacklog] {
        var result: [String: ChannelBacklog] = [:]
        for channel in channels {
            let rows = try await rows(
                """
                SELECT o.recorded, d.last_error FROM outbox o
                JOIN outbox_channel c ON c.name = \(channel)
                LEFT JOIN outbox_delivery d ON d.seq = o.seq AND d.channel = c.name
                WHERE o.seq > c.since_seq AND d.delivered IS NULL
                ORDER BY o.seq
                """)
            result[channel] = ChannelBacklog(waiting: rows.count, oldest: rows.first?.date("recorded"), lastError: rows.first?.text("last_error"))
        }
        return result
    }

    public func openBreaches() async throws -> [BreachEvent] {
        try await rows("SELECT * FROM breach_open ORDER BY tenant, target, kind").map(StoredValues.openBreach)
    }
}

/// Scheduled report deliveries in PostgreSQL (`ReportDeliveryLedger`).
extension PostgresHistory: ReportDeliveryLedger {
    public func reportDeliveryState(name: String, baseline: Date) async throws -> ReportDeliveryState {
        try await transaction { [self] connection in
            try await connection.query(
                "INSERT INTO report_delivery (name, last_due) VALUES (\(name), \(baseline.timeIntervalSince1970)) ON CONFLICT (name) DO NOTHING",
                logger: logger)
            guard let row = try await Self.rows(connection, "SELECT * FROM report_delivery WHERE name = \(name)", logger: logger).first else {
                return ReportDeliveryState(lastDue: baseline)
            }
            return try StoredValues.reportDelivery(row)
        }
    }

    public func markReportDelivered(name: String, due: Date) async throws {
        try await execute(
            """
            UPDATE report_delivery SET last_due = GREATEST(last_due, \(due.timeIntervalSince1970)), attempts = 0, retry_at = NULL, last_error = NULL
            WHERE name = \(name)
            """)
    }

    public func markReportFailed(name: String, error: String, retryAt: Date) async throws {
        try await execute(
            "UPDATE report_delivery SET attempts = attempts + 1, retry_at = \(retryAt.timeIntervalSince1970), last_error = \(error) WHERE name = \(name)")
    }
}
