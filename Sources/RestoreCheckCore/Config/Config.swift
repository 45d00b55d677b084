import Foundation

/// A validated restorecheck configuration: where to work, and what to test for which tenant.
///
/// Built only by `ConfigLoader` (which reports errors with file, line and key) or directly in tests.
public struct Config: Sendable {
    /// Parent of each test's fresh 0700 scratch directory.
    public var scratchDirectory: String
    /// Where the outcome history lives.
    public var stateDirectory: String
    public var targets: [Target]
    /// Tests the daemon runs at once (restores are I/O heavy: a queue, never a stampede).
    public var maxConcurrent: Int
    /// History older than this is deleted.
    public var historyDays: Int
    /// The file this was loaded from, for messages.
    public var sourcePath: String
    /// Branding and serving of restore-assurance reports.
    public var report = ReportSettings()
    /// `notify:`: where breach events go (README "Notifications").
    public var notify: [NotifyChannel] = []
    /// `smtp:`: the mail server for e-mail notifications and report delivery.
    public var smtp: SMTPSettings?
    /// `reports.deliver:`: reports mailed on a schedule.
    public var deliveries: [ReportDeliverySpec] = []
    /// `history.postgresql:`: the history is a PostgreSQL database shared by a fleet of hosts, not
    /// the SQLite file in `state_dir`.
    public var postgresql: PostgresSettings?
    /// `fleet:`: this host's name in the fleet's history and the storage locations it tests.
    public var fleet = FleetSettings()

    public init(
        scratchDirectory: String, stateDirectory: String, targets: [Target], maxConcurrent: Int = 1,
        historyDays: Int = 400, sourcePath: String = "<memory>"
    ) {
        self.scratchDirectory = scratchDirectory
        self.stateDirectory = stateDirectory
        self.targets = targets
        self.maxConcurrent = maxConcurrent
        self.historyDays = historyDays
        self.sourcePath = sourcePath
    }

    /// The history database inside `state_dir`.
    public var historyPath: String { "\(stateDirectory)/history.sqlite" }

    /// Where the history is, for messages: the SQLite file, or the PostgreSQL database.
    public var historyLocation: String { postgresql?.displayName ?? historyPath }

    /// This host's name in the history: `fleet.node`, else the host name.
    public var nodeName: String { fleet.node ?? ProcessInfo.processInfo.hostName }
    /// Tests this host runs at once: `fleet.max_concurrent`, else `max_concurrent`.
    public var concurrentTestsHere: Int { fleet.maxConcurrent ?? maxConcurrent }

    /// The targets this host tests (`run` without names, and the daemon's schedule): all of them,
    /// unless `fleet.locations` names the storage locations it serves (README "Fleet").
    public var targetsTestedHere: [Target] { targets.filter(fleet.tests) }

    /// The key that signs reports (created on first use, 0600) inside `state_dir`.
    public var signingKeyPath: String { "\(stateDirectory)/report-signing-key.pem" }

    /// The tenants of the configured targets, sorted.
    public var tenants: [String] { Set(targets.map(\.tenant)).sorted() }

    /// The targets named, in config order; throws naming the first unknown name.
    public func targets(named names: [String]) throws(UnknownTarget) -> [Target] {
        guard !names.isEmpty else { return targets }
        for name in names where !targets.contains(where: { $0.name == name }) {
            throw UnknownTarget(name: name, known: targets.map(\.name))
        }
        return targets.filter { names.contains($0.name) }
    }

    /// A target name on the command line that the config does not have.
    public struct UnknownTarget: Error, CustomStringConvertible {
        public var name: String
        public var known: [String]
        public var description: String {
            "no target named '\(name)' in the config (targets: \(known.joined(separator: ", ")))"
        }
    }
}

/// `canary:`: the canary file's name inside the archive, and the key that signs it.
public struct CanarySpec: Sendable, Hashable {
    /// The entry name as the archive holds it (`.restorecheck-canary`, `srv/data/.restorecheck-canary`).
    public var entry: String
    /// `canary_key`, else `state_dir/canary.key`.
    public var keyPath: String

    public init(entry: String, keyPath: String) {
        self.entry = entry
        self.keyPath = keyPath
    }
}

/// `content_checks:` and `change_checks:`: what a suspicious restored file (`ContentRule`,
/// `RansomwareNames`) or a suspicious change between restore points (`ChangeComparison`) does to the
/// verdict.
public enum CheckMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// A finding (`suspicious_content`, `suspicious_change`): the test fails (the default).
    case fail
    /// A note on the outcome; the verdict is not changed.
    case warn
    /// Not checked.
    case off
}

/// `fleet:` (README "Fleet"): which host this is, and which targets it tests.
public struct FleetSettings: Sendable, Equatable {
    /// `node`: this host's name in the shared history (default: the host name).
    public var node: String?
    /// `locations`: the storage locations this host tests; nil tests every target (one host).
    public var locations: [String]?
    /// `lease`: how long a claimed test is this node's without a renewal (renewed every third of it).
    /// A node silent for longer (killed, paused, cut off from the database) loses the test to another.
    public var lease = TimeSpan(seconds: 300)
    /// `max_concurrent`: tests this node runs at once (default: the top-level `max_concurrent`).
    public var maxConcurrent: Int?
    /// `per_tenant`: running tests per tenant across the fleet, so one tenant never starves the others.
    public var perTenant = 1

    public init(node: String? = nil, locations: [String]? = nil) {
        self.node = node
        self.locations = locations
    }

    /// Whether `name` may name a host (`fleet.node`, `serve --node`): letters, digits, `-_.`, at most 63.
    public static func isValidNodeName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 63 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    /// Whether this host may test `target`: a host without `locations` tests every target; a host
    /// with them, the targets at one of them and the targets without a location (they run anywhere;
    /// the fleet's queue gives each test to one host).
    public func tests(_ target: Target) -> Bool {
        guard let locations, let location = target.location else { return true }
        return locations.contains(location)
    }
}

/// One backup target of one tenant: where its archives are and what it promises.
public struct Target: Sendable, Hashable {
    /// Unique in the config; used as the `target` metric label.
    public var name: String
    /// The customer; used as the `tenant` metric label.
    public var tenant: String
    /// `location`: the storage location it is in; only hosts serving it test it (`fleet.locations`).
    public var location: String?
    /// Glob of candidate archives; the newest by modification time is tested. For a repository
    /// target, the repository's display name (`restic:/srv/restic/acme`), which matches no file.
    public var archiveGlob: String
    /// A restic or borg repository instead of archive files (`restic:`, `borg:`).
    public var repository: RepositorySource?
    /// Archives in an S3-compatible bucket instead of local files (`s3:`).
    public var objectStorage: ObjectStorageTarget?
    /// `egress_budget`: bytes an `s3:` target's tests may read from object storage per calendar
    /// month (UTC), and where what they read is counted (`state_dir/egress/<name>`).
    public var egressBudget: Int64?
    public var egressLedgerPath: String?
    /// Manifest path template; `{archive}` expands to the chosen archive's path (for a repository:
    /// the snapshot's ID, borg's archive name). Nil: integrity only.
    public var manifestTemplate: String?
    /// Recovery point objective: the newest backup may be at most this old.
    public var rpo: TimeSpan
    /// Recovery time objective: a full restore must be projected to finish within this.
    public var rto: TimeSpan
    /// How far after a test's start a restore point's time may lie before it is "in the future"
    /// (`clock_skew`; `RestorePointAge`).
    public var clockSkew = RestorePointAge.defaultAllowance
    public var sample: SampleSpec
    public var limits: RestoreLimits
    /// When the daemon tests it.
    public var schedule: Schedule
    /// The canary that proves the restore point's time (nil: the archive's modification time does).
    public var canary: CanarySpec?
    /// Whether restored files are checked for ransomware's traces (`content_checks`).
    public var contentChecks = CheckMode.fail
    /// Where the coverage state of a target with `sample.coverage` lives: `state_dir/coverage/<name>.state`.
    public var coverageStatePath: String?
    /// Whether each restore point's manifest is compared with the previous one's (`change_checks`),
    /// by which rules, and where the previous summary is kept (`state_dir/changes/<name>.summary`;
    /// nil without a manifest).
    public var changeChecks = CheckMode.fail
    public var changeThresholds = ChangeThresholds()
    public var changeSummaryPath: String?
    /// A repository target's last full restore time (`state_dir/restore-times/<name>.json`; see
    /// `RepositoryRestoreTime`); nil for archives.
    public var restoreTimePath: String?
    /// `compare_with_source`: the live data to compare restored files with.
    public var liveSource: LiveSource?
    /// `validate:`: application checks on restored files (built-in validators).
    public var validate: [ValidationRule] = []

    public init(
        name: String, tenant: String, archiveGlob: String, manifestTemplate: String?,
        rpo: TimeSpan, rto: TimeSpan, sample: SampleSpec = SampleSpec(), limits: RestoreLimits = RestoreLimits(),
        schedule: Schedule = Schedule()
    ) {
        self.schedule = schedule
        self.name = name
        self.tenant = tenant
        self.archiveGlob = archiveGlob
        self.manifestTemplate = manifestTemplate
        self.rpo = rpo
        self.rto = rto
        self.sample = sample
        self.limits = limits
    }

    /// The manifest path for a chosen archive.
    public func manifestPath(forArchive archive: String) -> String? {
        manifestTemplate.map { $0.replacingAll("{archive}", with: archive) }
    }
}

extension String {
    func replacingAll(_ needle: String, with replacement: String) -> String {
        guard !needle.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: needle) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
