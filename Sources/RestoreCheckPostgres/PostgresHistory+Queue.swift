import Foundation
import PostgresNIO
import RestoreCheckCore

/// The fleet's job queue (`FleetQueue`) in the same database as the history, so a job's end and its
/// run's outcome, findings and chain link commit in one transaction, guarded by the claim's attempt
/// (the fencing token). Leases are kept in the database's clock (`dbNow`): no host's clock decides
/// whether another host's lease ran out.
extension PostgresHistory: FleetQueue {
    /// The database's clock, as epoch seconds.
    static let dbNow = "extract(epoch from clock_timestamp())::double precision"

    public func openJobs() async throws -> Set<String> {
        Set(try await rows("SELECT DISTINCT target FROM fleet_job WHERE state IN ('queued', 'running')").compactMap { $0.text("target") })
    }

    public func enqueue(_ jobs: [DueJob], now: Date) async throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        return try await transaction { [self] connection in
            var added = 0
            for job in jobs {
                // A target already waiting keeps its job (one queued job per target).
                added += try await Self.rows(
                    connection,
                    """
                    INSERT INTO fleet_job (target, tenant, location, priority, due, start_by, window_seconds, state, created)
                    VALUES (\(job.target), \(job.tenant), \(job.location), \(Int64(job.priority.rawValue)), \(job.due.timeIntervalSince1970),
                      \(job.startBy.timeIntervalSince1970), \(job.startBy.timeIntervalSince(job.due)), 'queued', \(now.timeIntervalSince1970))
                    ON CONFLICT (target) WHERE state = 'queued' DO NOTHING RETURNING id
                    """, logger: logger
                ).count
            }
            return added
        }
    }

    public func requestNow(_ targets: [Target], now: Date) async throws -> [Int64] {
        try await transaction { [self] connection in
            var ids: [Int64] = []
            for target in targets {
                let window = target.schedule.every.seconds
                let row = try await Self.rows(
                    connection,
                    """
                    INSERT INTO fleet_job (target, tenant, location, priority, due, start_by, window_seconds, state, created)
                    VALUES (\(target.name), \(target.tenant), \(target.location), \(Int64(JobPriority.runNow.rawValue)), \(now.timeIntervalSince1970),
                      \(now.timeIntervalSince1970 + window), \(window), 'queued', \(now.timeIntervalSince1970))
                    ON CONFLICT (target) WHERE state = 'queued' DO UPDATE SET priority = excluded.priority,
                      due = LEAST(fleet_job.due, excluded.due), start_by = GREATEST(fleet_job.start_by, excluded.start_by)
                    RETURNING id
                    """, logger: logger
                ).first
                guard let id = row?.integer("id") else { throw PostgresHistoryError("the queue returned no job id for \(target.name)") }
                ids.append(id)
            }
            return ids
        }
    }

    public func claim(
        locations: [String]?, known: [String]?, limit: Int, perTenant: Int, lease: TimeInterval, now: Date
    ) async throws -> [JobClaim] {
        guard limit > 0 else { return [] }
        return try await transaction { [self] connection in
            // Candidates locked for this transaction; other nodes skip them rather than wait.
            var query = PostgresQuery(
                unsafeSQL: """
                    SELECT id, target, tenant, priority FROM fleet_job j
                    WHERE state = 'queued' AND due <= $1
                      AND NOT EXISTS (SELECT 1 FROM fleet_job r WHERE r.target = j.target AND r.state = 'running')
                      \(locations == nil ? "" : "AND (location IS NULL OR location = ANY($3))")
                      \(known == nil ? "" : "AND target = ANY($4)")
                    ORDER BY priority, due, id LIMIT $2 FOR UPDATE SKIP LOCKED
                    """)
            query.binds.append(now.timeIntervalSince1970)
            // More than `limit`: some may be skipped for their tenant's cap.
            query.binds.append(Int64(limit * 4 + 8))
            // $3 and $4 are always bound (an unused one is ignored), so each keeps its number.
            query.binds.append(locations ?? [])
            // A node claims only the targets its config has: one whose config lags the planner's
            // would otherwise claim a job it cannot run, give it back, and claim it again.
            query.binds.append(known ?? [])
            let candidates = try await Self.rows(connection, query, logger: logger)
            var claims: [JobClaim] = []
            var tenantsChecked: Set<String> = []
            for row in candidates where claims.count < limit {
                guard let id = row.integer("id"), let target = row.text("target"), let tenant = row.text("tenant"),
                    let priority = row.integer("priority").flatMap({ JobPriority(rawValue: Int($0)) })
                else { continue }
                // The tenant's cap is counted under a lock per tenant, held to this transaction's end:
                // two nodes claiming for one tenant at once take turns, and the second sees the first's claims.
                if !tenantsChecked.contains(tenant) {
                    let locked = try await Self.rows(
                        connection, "SELECT pg_try_advisory_xact_lock(\(Self.tenantLockSpace), hashtext(\(tenant))) AS locked", logger: logger
                    ).first?.bool("locked") ?? false
                    guard locked else { continue }
                    tenantsChecked.insert(tenant)
                }
                let running = try await Self.rows(
                    connection, "SELECT count(*) AS running FROM fleet_job WHERE state = 'running' AND tenant = \(tenant)", logger: logger
                ).first?.integer("running") ?? 0
                guard running < perTenant else { continue }
                guard
                    let attempt = try await Self.rows(
                        connection,
                        PostgresQuery(
                            unsafeSQL: """
                                UPDATE fleet_job SET state = 'running', attempt = attempt + 1, node = $1, lease_until = \(Self.dbNow) + $2
                                WHERE id = $3 RETURNING attempt
                                """, binds: Self.binds(node, lease, id)), logger: logger
                    ).first?.integer("attempt")
                else { continue }
                try await connection.query(
                    """
                    INSERT INTO fleet_attempt (job_id, attempt, node, claimed) VALUES (\(id), \(attempt), \(node), \(now.timeIntervalSince1970))
                    """, logger: logger)
                claims.append(JobClaim(jobID: id, attempt: attempt, target: target, tenant: tenant, priority: priority))
            }
            return claims
        }
    }

    public func renew(_ claims: [JobClaim], lease: TimeInterval, now: Date) async throws -> Set<Int64> {
        guard !claims.isEmpty else { return [] }
        // Pointless once the lease is gone: tried for a third of it.
        return try await transaction(budget: lease / 3) { [self] connection in
            var query = PostgresQuery(
                unsafeSQL: """
                    UPDATE fleet_job SET lease_until = \(Self.dbNow) + $1
                    WHERE state = 'running' AND node = $2 AND (id, attempt) IN (SELECT * FROM unnest($3::bigint[], $4::bigint[]))
                    RETURNING id
                    """)
            query.binds.append(lease)
            query.binds.append(node)
            query.binds.append(claims.map(\.jobID))
            query.binds.append(claims.map(\.attempt))
            return Set(try await Self.rows(connection, query, logger: logger).compactMap { $0.integer("id") })
        }
    }

    public func beginRun(_ claim: JobClaim, started: Date, origin: String) async throws -> Int64 {
        try await transaction { [self] connection in
            try await fence(connection, claim)
            guard
                let runID = try await Self.rows(
                    connection,
                    """
                    INSERT INTO run (target, tenant, status, origin, started, node)
                    VALUES (\(claim.target), \(claim.tenant), 'started', \(origin), \(started.timeIntervalSince1970), \(node)) RETURNING id
                    """, logger: logger
                ).first?.integer("id")
            else { throw PostgresHistoryError("the history returned no run id") }
            try await connection.query("UPDATE fleet_job SET run_id = \(runID) WHERE id = \(claim.jobID)", logger: logger)
            try await connection.query(
                "UPDATE fleet_attempt SET run_id = \(runID) WHERE job_id = \(claim.jobID) AND attempt = \(claim.attempt)", logger: logger)
            return runID
        }
    }

    public func complete(_ claim: JobClaim, runID: Int64, outcome: Outcome) async throws {
        try await transaction { [self] connection in
            let ended = try await Self.rows(
                connection,
                """
                UPDATE fleet_job SET state = 'done', ended = \(outcome.finished.timeIntervalSince1970), lease_until = NULL, run_id = \(runID)
                WHERE id = \(claim.jobID) AND attempt = \(claim.attempt) AND state = 'running' RETURNING id
                """, logger: logger)
            if ended.isEmpty {
                // A retry after a lost COMMIT finds its job ended with this run: recorded once.
                let job = try await Self.rows(connection, "SELECT state, attempt, run_id FROM fleet_job WHERE id = \(claim.jobID)", logger: logger).first
                if job?.text("state") == JobState.done.rawValue, job?.integer("attempt") == claim.attempt, job?.integer("run_id") == runID { return }
                throw FencedWriteError(claim: claim)
            }
            try await record(connection, runID: runID, outcome: outcome)
            try await endAttempt(connection, claim, at: outcome.finished, result: outcome.status.rawValue, detail: nil)
        }
    }

    public func giveBack(_ claim: JobClaim, runID: Int64?, at date: Date) async throws {
        try await transaction { [self] connection in
            try await fence(connection, claim)
            if let runID { try await abort(connection, runID: runID, at: date) }
            try await endAttempt(connection, claim, at: date, result: "aborted", detail: "stopped by \(node) (shutdown)")
            try await requeue(connection, jobID: claim.jobID, target: claim.target)
        }
    }

    public func reapExpiredLeases(now: Date) async throws -> [ReapedJob] {
        try await reap(PostgresQuery(unsafeSQL: "lease_until < \(Self.dbNow)"), detail: { "lease expired on node \($0)" }, now: now)
    }

    public func requeueOwnJobs(now: Date) async throws -> [ReapedJob] {
        try await reap("node = \(node)", detail: { "node \($0) restarted" }, now: now)
    }

    /// Ends the running attempts `condition` picks `aborted` (their runs too) and queues their jobs again.
    private func reap(_ condition: PostgresQuery, detail: @escaping @Sendable (String) -> String, now: Date) async throws -> [ReapedJob] {
        try await transaction { [self] connection in
            let expired = try await Self.rows(
                connection,
                PostgresQuery(
                    unsafeSQL: """
                        SELECT id, target, attempt, node, run_id FROM fleet_job
                        WHERE state = 'running' AND \(condition.sql) ORDER BY id FOR UPDATE SKIP LOCKED
                        """, binds: condition.binds), logger: logger)
            var reaped: [ReapedJob] = []
            for row in expired {
                guard let id = row.integer("id"), let target = row.text("target"), let attempt = row.integer("attempt") else { continue }
                let holder = row.text("node") ?? "?"
                if let runID = row.integer("run_id") { try await abort(connection, runID: runID, at: now) }
                let claim = JobClaim(jobID: id, attempt: attempt, target: target, tenant: "", priority: .scheduled)
                try await endAttempt(connection, claim, at: now, result: "aborted", detail: detail(holder))
                try await requeue(connection, jobID: id, target: target)
                reaped.append(ReapedJob(jobID: id, target: target, attempt: attempt, node: holder))
            }
            return reaped
        }
    }

    public func expireUnstarted(now: Date, targets: [Target]) async throws -> [String] {
        let byName = Dictionary(targets.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let live = try await nodes().filter { $0.isLive(at: now) }
        return try await transaction { [self] connection in
            let jobs = try await Self.rows(
                connection,
                """
                UPDATE fleet_job SET state = 'not_started', ended = \(now.timeIntervalSince1970)
                WHERE state = 'queued' AND start_by < \(now.timeIntervalSince1970) RETURNING id, target, due, start_by
                """, logger: logger)
            var expired: [String] = []
            for job in jobs {
                guard let id = job.integer("id"), let name = job.text("target"), let due = job.date("due"), let startBy = job.date("start_by") else { continue }
                expired.append(name)
                // A target no longer in the config is not recorded: there is no promise left to report on.
                guard let target = byName[name] else { continue }
                let servers = live.filter { FleetSettings(node: $0.node, locations: $0.locations).tests(target) }.map(\.node)
                let outcome = NotStarted.outcome(target: target, due: due, startBy: startBy, servers: servers, now: now)
                guard
                    let runID = try await Self.rows(
                        connection,
                        """
                        INSERT INTO run (target, tenant, status, origin, started, node)
                        VALUES (\(target.name), \(target.tenant), 'started', \(Self.plannerOrigin), \(due.timeIntervalSince1970), \(node)) RETURNING id
                        """, logger: logger
                    ).first?.integer("id")
                else { continue }
                try await record(connection, runID: runID, outcome: outcome)
                try await connection.query("UPDATE fleet_job SET run_id = \(runID) WHERE id = \(id)", logger: logger)
            }
            return expired
        }
    }

    public func job(_ id: Int64) async throws -> JobRecord? {
        guard let row = try await rows("SELECT * FROM fleet_job WHERE id = \(id)").first else { return nil }
        return JobRecord(
            id: id, target: row.text("target") ?? "", state: JobState(rawValue: row.text("state") ?? "") ?? .queued,
            attempt: row.integer("attempt") ?? 0, node: row.text("node"), runID: row.integer("run_id"), supersededBy: row.integer("superseded_by"))
    }

    public func queueStatus(now: Date) async throws -> FleetQueueStatus {
        let queued = try await rows("SELECT priority, tenant, due FROM fleet_job WHERE state = 'queued'")
        let running = try await rows("SELECT node, count(*) AS running FROM fleet_job WHERE state = 'running' GROUP BY node")
        let planner = try await rows("SELECT node FROM fleet_planner WHERE id = 1").first?.text("node")
        var byPriority: [String: Int] = [:]
        var byTenant: [String: Int] = [:]
        for row in queued {
            if let priority = row.integer("priority").flatMap({ JobPriority(rawValue: Int($0)) }) { byPriority[priority.label, default: 0] += 1 }
            if let tenant = row.text("tenant") { byTenant[tenant, default: 0] += 1 }
        }
        return FleetQueueStatus(
            planner: planner, queuedByPriority: byPriority, queuedByTenant: byTenant,
            runningByNode: Dictionary(running.compactMap { row in row.text("node").map { ($0, Int(row.integer("running") ?? 0)) } }, uniquingKeysWith: +),
            oldestWaiting: queued.compactMap { $0.date("due") }.min())
    }

    public func recordPlanner(now: Date) async throws {
        try await execute(
            """
            INSERT INTO fleet_planner (id, node, since, last_planned) VALUES (1, \(node), \(now.timeIntervalSince1970), \(now.timeIntervalSince1970))
            ON CONFLICT (id) DO UPDATE SET last_planned = excluded.last_planned,
              since = CASE WHEN fleet_planner.node = excluded.node THEN fleet_planner.since ELSE excluded.since END, node = excluded.node
            """)
    }

    public func plannerLock() -> any PlannerLock {
        PostgresPlannerLock(settings: settings, logger: logger)
    }

    /// The origin of the runs the planner records for jobs nobody started.
    static let plannerOrigin = "fleet"
    /// The advisory lock space of the per-tenant claim locks ("rc" "tn").
    static let tenantLockSpace: Int32 = 0x7263_746E

    /// Throws `FencedWriteError` unless the claim still holds its job (locked to this transaction's end).
    private func fence(_ connection: PostgresConnection, _ claim: JobClaim) async throws {
        let held = try await Self.rows(
            connection,
            "SELECT id FROM fleet_job WHERE id = \(claim.jobID) AND attempt = \(claim.attempt) AND state = 'running' FOR UPDATE", logger: logger)
        if held.isEmpty { throw FencedWriteError(claim: claim) }
    }

    private func endAttempt(_ connection: PostgresConnection, _ claim: JobClaim, at date: Date, result: String, detail: String?) async throws {
        try await connection.query(
            """
            UPDATE fleet_attempt SET ended = \(date.timeIntervalSince1970), result = \(result), detail = \(detail)
            WHERE job_id = \(claim.jobID) AND attempt = \(claim.attempt)
            """, logger: logger)
    }

    /// Puts a job back in the queue, its start window counted again from now; when the target already
    /// has a waiting job (an operator asked meanwhile), that one stands for it and this one ends.
    private func requeue(_ connection: PostgresConnection, jobID: Int64, target: String) async throws {
        let waiting = try await Self.rows(connection, "SELECT id FROM fleet_job WHERE target = \(target) AND state = 'queued'", logger: logger)
        if waiting.isEmpty {
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        UPDATE fleet_job SET state = 'queued', node = NULL, lease_until = NULL, run_id = NULL,
                          start_by = GREATEST(start_by, \(Self.dbNow) + window_seconds)
                        WHERE id = $1
                        """, binds: Self.binds(jobID)), logger: logger)
        } else {
            // Ended, pointing at the job that stands for it (`run --fleet` follows it).
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        UPDATE fleet_job SET state = 'done', lease_until = NULL, ended = \(Self.dbNow), superseded_by = $1 WHERE id = $2
                        """, binds: Self.binds(waiting[0].integer("id") ?? 0, jobID)), logger: logger)
        }
    }

    static func binds(_ node: String, _ lease: Double, _ id: Int64) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(node)
        binds.append(lease)
        binds.append(id)
        return binds
    }
}
