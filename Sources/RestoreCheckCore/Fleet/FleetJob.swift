import Foundation

/// Why a job is in the fleet's queue, in the order nodes claim them (README "Fleet").
public enum JobPriority: Int, Sendable, Codable, CaseIterable, Comparable {
    /// An operator asked (`restorecheck run --fleet TARGET`) and is waiting.
    case runNow = 0
    /// The target's verified restore point is older than its RPO, or it was never verified.
    case overdue = 1
    /// Due by its schedule.
    case scheduled = 2
    /// Coverage backfill: files no sample has reached yet (claimed last).
    case coverage = 3

    /// The name `fleet status` and the metrics use.
    public var label: String {
        switch self {
        case .runNow: "run-now"
        case .overdue: "overdue"
        case .scheduled: "scheduled"
        case .coverage: "coverage"
        }
    }

    public static func < (lhs: JobPriority, rhs: JobPriority) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A test the planner puts in the queue: which target, how urgent, and by when it must start.
public struct DueJob: Sendable, Equatable {
    public var target: String
    public var tenant: String
    public var location: String?
    public var priority: JobPriority
    /// When it became due (claims take the earliest first within a priority class).
    public var due: Date
    /// Not started by then: `not_started`, recorded (the target's `every`: its next test is due).
    public var startBy: Date

    public init(target: String, tenant: String, location: String?, priority: JobPriority, due: Date, startBy: Date) {
        self.target = target
        self.tenant = tenant
        self.location = location
        self.priority = priority
        self.due = due
        self.startBy = startBy
    }
}

/// A node's hold on one job. `attempt` is the fencing token: the job's result commits only while the
/// job's attempt is still this one, so a node that lost its lease (paused, partitioned) writes nothing.
public struct JobClaim: Sendable, Hashable {
    public var jobID: Int64
    public var attempt: Int64
    public var target: String
    public var tenant: String
    public var priority: JobPriority

    public init(jobID: Int64, attempt: Int64, target: String, tenant: String, priority: JobPriority) {
        self.jobID = jobID
        self.attempt = attempt
        self.target = target
        self.tenant = tenant
        self.priority = priority
    }
}

/// Where a job is.
public enum JobState: String, Sendable, Codable {
    case queued, running, done
    /// Not claimed within its start window: recorded as an `error` run (reason `not_started`).
    case notStarted = "not_started"
}

/// One job as `run --fleet` and `fleet status` read it.
public struct JobRecord: Sendable, Equatable {
    public var id: Int64
    public var target: String
    public var state: JobState
    public var attempt: Int64
    public var node: String?
    /// The run that holds its result (done, not started), or its current attempt's run.
    public var runID: Int64?
    /// Ended in favour of this job (it was re-queued while the target already had a waiting job).
    public var supersededBy: Int64?

    public init(id: Int64, target: String, state: JobState, attempt: Int64, node: String?, runID: Int64?, supersededBy: Int64? = nil) {
        self.supersededBy = supersededBy
        self.id = id
        self.target = target
        self.state = state
        self.attempt = attempt
        self.node = node
        self.runID = runID
    }
}

/// A job whose lease ran out: its attempt was recorded `aborted` and the job queued again.
public struct ReapedJob: Sendable, Equatable {
    public var jobID: Int64
    public var target: String
    public var attempt: Int64
    public var node: String

    public init(jobID: Int64, target: String, attempt: Int64, node: String) {
        self.jobID = jobID
        self.target = target
        self.attempt = attempt
        self.node = node
    }
}

/// A result refused because its writer no longer holds the job (its lease expired and the job was
/// given to another attempt): nothing of it was written.
public struct FencedWriteError: Error, CustomStringConvertible {
    public var claim: JobClaim

    public init(claim: JobClaim) { self.claim = claim }

    public var description: String {
        "the fleet's job \(claim.jobID) (\(claim.tenant)/\(claim.target)) is no longer this node's (attempt \(claim.attempt) lost its lease): its result was not recorded"
    }
}
