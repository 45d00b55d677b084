import Foundation

/// The hosts of a fleet sharing one history (README "Fleet"): each `serve` records a heartbeat, and
/// `fleet status` reads them. Only a shared history (PostgreSQL) has one.
public protocol FleetRegistry: Sendable {
    /// Records (or refreshes) this host's heartbeat.
    func beat(_ beat: NodeBeat) async throws
    /// Every host's newest heartbeat, by name.
    func nodes() async throws -> [NodeBeat]
}

/// One host's heartbeat: who it is, what it runs and what config it has.
public struct NodeBeat: Sendable, Codable, Equatable {
    public var node: String
    public var version: String
    /// `Config.targetsDigest`: hosts reading different target lists disagree on what the fleet tests.
    public var targetsDigest: String
    /// `fleet.locations`; nil: every target.
    public var locations: [String]?
    public var started: Date
    public var lastSeen: Date

    public init(node: String, version: String, targetsDigest: String, locations: [String]?, started: Date, lastSeen: Date) {
        self.node = node
        self.version = version
        self.targetsDigest = targetsDigest
        self.locations = locations
        self.started = started
        self.lastSeen = lastSeen
    }

    /// How often `serve` beats; a host silent for three beats is `stale`.
    public static let interval: TimeInterval = 30
    public static let staleAfter: TimeInterval = 3 * interval

    public func isLive(at now: Date) -> Bool { now.timeIntervalSince(lastSeen) <= Self.staleAfter }
}

/// What `fleet status` says of the fleet, from the heartbeats and this host's config: the one home
/// of its rules (stale hosts, config drift, targets no live host tests).
public struct FleetView: Sendable, Encodable {
    public struct Host: Sendable, Encodable {
        public var beat: NodeBeat
        public var live: Bool
        /// Its target list differs from this host's.
        public var configDiffers: Bool
    }

    public var hosts: [Host]
    /// Targets of this config that no live host tests (their location has no live host).
    public var unserved: [String]
    /// The job queue: the planner, queued jobs by priority class and tenant, running tests by host.
    public var queue: FleetQueueStatus?

    public init(beats: [NodeBeat], config: Config, now: Date) {
        let digest = config.targetsDigest
        hosts = beats.sorted { $0.node < $1.node }.map {
            Host(beat: $0, live: $0.isLive(at: now), configDiffers: $0.targetsDigest != digest)
        }
        let live = hosts.filter(\.live).map { FleetSettings(node: $0.beat.node, locations: $0.beat.locations) }
        unserved = config.targets.filter { target in !live.contains { $0.tests(target) } }.map(\.name)
    }
}

extension Config {
    /// SHA-256 over what the fleet must agree on: each target's name, tenant, location, source,
    /// objectives and schedule, sorted by name. Host-local keys (`state_dir`, `fleet`) are not in it.
    public var targetsDigest: String {
        let lines = targets.sorted { $0.name < $1.name }.map { target in
            [
                target.name, target.tenant, target.location ?? "", target.archiveGlob, target.manifestTemplate ?? "",
                String(target.rpo.seconds), String(target.rto.seconds), String(target.schedule.every.seconds),
            ].joined(separator: "\u{1F}")
        }
        return SHA256.hex(of: Array(lines.joined(separator: "\n").utf8))
    }
}
