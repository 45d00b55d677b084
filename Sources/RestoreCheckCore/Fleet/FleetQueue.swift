import Foundation

/// The fleet's job queue in the shared history (README "Fleet"): the planner puts due tests in it,
/// nodes claim them under a lease and record each result fenced by the claim's attempt, in the same
/// transaction as the run, its findings and its evidence-chain link.
///
/// Every method is one transaction: a node killed between two calls leaves the queue consistent, and
/// what it held comes back through `reapExpiredLeases`.
public protocol FleetQueue: Sendable {
    /// The node's name in the queue (`fleet.node`).
    var node: String { get }

    /// Targets with a job queued or running (the planner adds none for them).
    func openJobs() async throws -> Set<String>
    /// Adds the jobs (one open job per target: a target already queued keeps its job); returns how
    /// many were added.
    func enqueue(_ jobs: [DueJob], now: Date) async throws -> Int
    /// Queues a `run-now` job for each target, or raises its queued job to `run-now`; returns the job
    /// ids to wait for, in the targets' order.
    func requestNow(_ targets: [Target], now: Date) async throws -> [Int64]

    /// Claims up to `limit` due jobs this node may run (`locations`: nil every target, else the
    /// targets at those locations and those without one; `known`: the targets in this node's config,
    /// nil any), most urgent first, skipping targets already running and tenants that have
    /// `perTenant` running tests. Each claim increments the job's attempt.
    func claim(locations: [String]?, known: [String]?, limit: Int, perTenant: Int, lease: TimeInterval, now: Date) async throws -> [JobClaim]
    /// Extends the leases this node still holds; returns the ids of the jobs it still holds.
    func renew(_ claims: [JobClaim], lease: TimeInterval, now: Date) async throws -> Set<Int64>

    /// Records the start of the claim's test (a `started` run), fenced: throws `FencedWriteError`
    /// when the claim was lost.
    func beginRun(_ claim: JobClaim, started: Date, origin: String) async throws -> Int64
    /// Records the outcome and ends the job in one transaction, fenced by the claim's attempt.
    func complete(_ claim: JobClaim, runID: Int64, outcome: Outcome) async throws
    /// Records the run `aborted` (this node stopped it: shutdown) and queues the job again.
    func giveBack(_ claim: JobClaim, runID: Int64?, at: Date) async throws

    /// Jobs whose lease ran out (their node died, hung or lost the database): each attempt's run is
    /// recorded `aborted` and the job queued again.
    func reapExpiredLeases(now: Date) async throws -> [ReapedJob]
    /// The same for the jobs this node held before it restarted (they cannot still be running).
    func requeueOwnJobs(now: Date) async throws -> [ReapedJob]
    /// Jobs still queued past their start window: each becomes an `error` run with reason
    /// `not_started` (`NotStarted`), chained and in the breach ledger, never silence.
    /// `targets`: the planner's config (a target no longer in it is dropped, not recorded).
    func expireUnstarted(now: Date, targets: [Target]) async throws -> [String]
    /// Records this node as the planner (for `fleet status`).
    func recordPlanner(now: Date) async throws

    /// One job, for `run --fleet` to wait on.
    func job(_ id: Int64) async throws -> JobRecord?
    /// The queue as `fleet status` shows it.
    func queueStatus(now: Date) async throws -> FleetQueueStatus

    /// The planner's lock for this node: one node plans at a time.
    func plannerLock() -> any PlannerLock
}

/// The lock one node holds while it plans. Held by a database session: when the holder dies or loses
/// the database, its session ends, the lock is free, and another node takes over.
public protocol PlannerLock: Sendable {
    /// Takes the lock if free, or checks that this node still holds it; false: another node plans
    /// (or the database cannot be reached).
    func hold() async -> Bool
    /// Lets it go (shutdown).
    func release() async
}

/// The queue as `fleet status` shows it.
public struct FleetQueueStatus: Sendable, Encodable, Equatable {
    /// The node holding the planner's lock, as it last recorded itself.
    public var planner: String?
    /// Queued jobs by priority class (`JobPriority.label`).
    public var queuedByPriority: [String: Int]
    /// Queued jobs by tenant.
    public var queuedByTenant: [String: Int]
    /// Running tests by node.
    public var runningByNode: [String: Int]
    /// The due time of the oldest queued job.
    public var oldestWaiting: Date?

    public init(
        planner: String?, queuedByPriority: [String: Int], queuedByTenant: [String: Int], runningByNode: [String: Int], oldestWaiting: Date?
    ) {
        self.planner = planner
        self.queuedByPriority = queuedByPriority
        self.queuedByTenant = queuedByTenant
        self.runningByNode = runningByNode
        self.oldestWaiting = oldestWaiting
    }
}
