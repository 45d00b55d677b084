import Foundation
import Prometheus
import RestoreCheckCore
import Synchronization

/// The Prometheus view of restore outcomes (contract: metric names are API; see README "Metrics").
///
/// Values are set when a test finishes or the config changes, never computed during a scrape: a scrape
/// only serialises the registry. Labels are `tenant` and `target` only, both from the config, so the
/// series count is bounded by the config. Timestamps rather than ages are exported; PromQL computes
/// ages with `time() - x`.
public final class OutcomeMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    // Mutex is Sendable whatever it holds; TargetSeries is only reached through it.
    private let perTarget = Mutex<[String: TargetSeries]>([:])
    private let reloadSuccessful: Gauge
    private let reloadTimestamp: Gauge
    /// Made on the first delivery pass, so a process that sends nothing (`run --textfile-dir`) exports none.
    private let notifyWaiting = Mutex<Gauge?>(nil)
    private let includeCounters: Bool
    private let fleet = Mutex<FleetNodeMetrics?>(nil)
    /// Bumped by every change, so the endpoint can serve a cached exposition until the next one.
    private let generation = Atomic<Int>(0)
    /// The last rendering: (generation, plain text, gzip).
    private let rendered = Mutex<(generation: Int, plain: [UInt8], gzip: [UInt8]?)?>(nil)

    /// Metric families, in one place so names, units and help stay consistent (promtool checks them).
    /// Computed: swift-prometheus's `MetricNameDescriptor` is not `Sendable`, so it cannot be a `static let`.
    enum Family {
        static var restoreSuccess: MetricNameDescriptor { descriptor("restore", "success", "1 if the newest restore test passed, 0 if it failed or could not be carried out.") }
        static var lastRun: MetricNameDescriptor { descriptor("last_run", "timestamp_seconds", "When the newest restore test finished (Unix time).") }
        static var lastSuccess: MetricNameDescriptor { descriptor("last_success", "timestamp_seconds", "When the newest passing restore test finished (Unix time).") }
        static var duration: MetricNameDescriptor { descriptor("restore_duration", "seconds", "Wall time of the newest restore test.") }
        static var projected: MetricNameDescriptor { descriptor("projected_full_restore", "seconds", "Full-restore time projected from the newest test's measured rates.") }
        static var rtoTarget: MetricNameDescriptor { descriptor("rto_target", "seconds", "The configured recovery time objective.") }
        static var latestBackup: MetricNameDescriptor { descriptor("latest_backup", "timestamp_seconds", "Modification time of the newest archive tested (Unix time).") }
        static var verifiedBackup: MetricNameDescriptor { descriptor(
            "verified_backup", "timestamp_seconds", "Modification time of the newest archive that passed a restore test: the verified RPO (Unix time).") }
        static var interval: MetricNameDescriptor { descriptor("test_interval", "seconds", "The configured interval between restore tests (every); staleness alerts compare against it.") }
        static var rpoTarget: MetricNameDescriptor { descriptor("rpo_target", "seconds", "The configured recovery point objective.") }
        static var verifiedFiles: MetricNameDescriptor { descriptor("restore_verified", "files", "Files restored and verified by the newest test.") }
        static var verifiedBytes: MetricNameDescriptor { descriptor("restore_verified", "bytes", "Bytes restored and verified by the newest test.") }
        static var mismatches: MetricNameDescriptor { descriptor("restore_checksum", "mismatches", "Files whose restored bytes differed from the manifest in the newest test.") }
        static var coverageFiles: MetricNameDescriptor { descriptor(
            "coverage_files", "ratio", "Share of the newest manifest's files verified within the coverage window (targets with sample.coverage).") }
        static var coverageBytes: MetricNameDescriptor { descriptor(
            "coverage_bytes", "ratio", "Share of the newest manifest's bytes verified within the coverage window (targets with sample.coverage).") }
        static var validatedFiles: MetricNameDescriptor { descriptor(
            "validation", "files", "Restored files the newest test checked with validate: rules (targets with validate).") }
        static var validationFailures: MetricNameDescriptor { descriptor(
            "validation", "failures", "Files that failed a validate: check in the newest test (validation_failed).") }
        static var validationDuration: MetricNameDescriptor { descriptor(
            "validation_duration", "seconds", "Time the newest test's validate: checks took (part of restore_duration_seconds).") }
        static var runs: MetricNameDescriptor { descriptor("runs", "total", "Restore tests completed since the process started.") }
        static var failures: MetricNameDescriptor { descriptor("run_failures", "total", "Restore tests that failed or could not be carried out, since the process started.") }
        static var verifiedBytesTotal: MetricNameDescriptor { descriptor("verified_bytes", "total", "Bytes restored and verified since the process started.") }
        static var sourceBytesFetched: MetricNameDescriptor { descriptor(
            "source_bytes_fetched", "total", "Bytes read from object storage by tests since the process started (s3 targets): the egress they cost.") }
        static var sourceRequests: MetricNameDescriptor { descriptor(
            "source_requests", "total", "Requests made to object storage by tests since the process started (s3 targets).") }
        static var sourceRetries: MetricNameDescriptor { descriptor(
            "source_retries", "total", "Requests to object storage retried after a transient failure, since the process started (s3 targets).") }
        static var egressBudgetRemaining: MetricNameDescriptor { descriptor(
            "source_egress_budget_remaining", "bytes", "What is left of the target's monthly egress_budget after its newest test (s3 targets with a budget).") }
        static var inProgress: MetricNameDescriptor { descriptor("run", "in_progress", "1 while a restore test of the target is running.") }
        static var targetInfo: MetricNameDescriptor { descriptor("target", "info", "A configured target (value 1).") }
        static var buildInfo: MetricNameDescriptor { descriptor("build", "info", "restorecheck's version (value 1).") }
        static var reloadSuccessful: MetricNameDescriptor { descriptor("config_last_reload", "successful", "1 if the last config (re)load succeeded, 0 if it failed and the previous config is still in use.") }
        static var notifyWaiting: MetricNameDescriptor { descriptor(
            "notify_waiting", "events", "Breach events in the outbox not yet delivered to a channel (summed over channels; serve only).") }
        static var reloadTimestamp: MetricNameDescriptor { descriptor(
            "config_last_reload_success", "timestamp_seconds", "When the config was last loaded successfully (Unix time).") }

        static func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "restorecheck", metricName: name, unitName: unit, helpText: help)
        }
    }

    /// The series of one target, so they can all be unregistered when it leaves the config.
    ///
    /// Config series (`target_info`, objectives, `run_in_progress`, counters) exist from the moment the
    /// target is configured. Outcome gauges appear with the first outcome (from history or a test):
    /// a never-tested target must not show `restore_success 0` and `last_run_timestamp_seconds 0`,
    /// which would fire "failed" and "stale" alerts on a fresh install.
    /// Only touched inside `OutcomeMetrics.perTarget`'s lock.
    final class TargetSeries {
        let labels: [(String, String)]
        let tenant: String
        private(set) var gauges: [String: Gauge] = [:]
        let counters: [Counter]
        let runs, failures, verifiedBytesTotal: Counter?
        /// Object storage's counters, for an `s3:` target only.
        let sourceBytes, sourceRequests, sourceRetries: Counter?
        /// The verified restore point so far (history's at start-up, then folded per test); read and
        /// written only under `perTarget`'s lock.
        var verified: VerifiedRestorePoint?

        init(registry: PrometheusCollectorRegistry, tenant: String, target: String, includeCounters: Bool, objectStorage: Bool) {
            self.tenant = tenant
            let labels = [("tenant", tenant), ("target", target)]
            self.labels = labels
            func counter(_ descriptor: MetricNameDescriptor) -> Counter? {
                includeCounters ? registry.makeCounter(descriptor: descriptor, labels: labels) : nil
            }
            runs = counter(Family.runs)
            failures = counter(Family.failures)
            verifiedBytesTotal = counter(Family.verifiedBytesTotal)
            sourceBytes = objectStorage ? counter(Family.sourceBytesFetched) : nil
            sourceRequests = objectStorage ? counter(Family.sourceRequests) : nil
            sourceRetries = objectStorage ? counter(Family.sourceRetries) : nil
            counters = [runs, failures, verifiedBytesTotal, sourceBytes, sourceRequests, sourceRetries].compactMap { $0 }
        }

        /// The gauge of `family` for this target, registered on first use.
        func gauge(_ family: MetricNameDescriptor, in registry: PrometheusCollectorRegistry) -> Gauge {
            if let existing = gauges[family.name] { return existing }
            let made = registry.makeGauge(descriptor: family, labels: labels)
            gauges[family.name] = made
            return made
        }
    }

    /// What history knows about a target at start-up, so a restart does not blank dashboards.
    public struct Seed: Sendable {
        public var latest: Outcome?
        public var verified: VerifiedRestorePoint?
        public init(latest: Outcome?, verified: VerifiedRestorePoint?) {
            self.latest = latest
            self.verified = verified
        }
    }

    /// - Parameters:
    ///   - includeCounters: false for the textfile exporter, whose short-lived process counts nothing.
    ///   - includeBuildInfo: `restorecheck_build_info{version}`: the one series with a label other than
    ///     tenant/target, by the universal `_build_info` convention.
    public init(version: String, includeCounters: Bool = true, includeBuildInfo: Bool = true) {
        self.includeCounters = includeCounters
        if includeBuildInfo {
            registry.makeGauge(descriptor: Family.buildInfo, labels: [("version", version)]).set(to: 1.0)
        }
        reloadSuccessful = registry.makeGauge(descriptor: Family.reloadSuccessful)
        reloadTimestamp = registry.makeGauge(descriptor: Family.reloadTimestamp)
    }

    /// Makes the series match `targets`: new targets get series (filled from `seeds`), removed targets
    /// lose theirs, and every target's objectives are refreshed.
    public func configure(targets: [Target], seeds: [String: Seed] = [:]) {
        perTarget.withLock { series in
            let wanted = Dictionary(targets.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            defer { changed() }
            for (name, existing) in series where wanted[name]?.tenant != existing.tenant {
                existing.gauges.values.forEach(registry.unregisterGauge)
                existing.counters.forEach(registry.unregisterCounter)
                series[name] = nil
            }
            for target in targets {
                let entry: TargetSeries
                if let existing = series[target.name] {
                    entry = existing
                } else {
                    entry = TargetSeries(
                        registry: registry, tenant: target.tenant, target: target.name, includeCounters: includeCounters,
                        objectStorage: target.objectStorage != nil)
                    series[target.name] = entry
                    entry.gauge(Family.inProgress, in: registry).set(to: 0.0)
                    if let seed = seeds[target.name] { apply(seed, to: entry) }
                }
                entry.gauge(Family.targetInfo, in: registry).set(to: 1.0)
                entry.gauge(Family.rpoTarget, in: registry).set(to: target.rpo.seconds)
                entry.gauge(Family.rtoTarget, in: registry).set(to: target.rto.seconds)
                entry.gauge(Family.interval, in: registry).set(to: target.schedule.every.seconds)
            }
        }
    }

    private func apply(_ seed: Seed, to entry: TargetSeries) {
        if let latest = seed.latest { setGauges(latest, entry) }
        entry.verified = seed.verified
        setVerified(entry)
    }

    /// The verified-RPO gauges from the series' folded point (see `VerifiedRestorePoint`).
    private func setVerified(_ entry: TargetSeries) {
        guard let verified = entry.verified else { return }
        entry.gauge(Family.verifiedBackup, in: registry).set(to: verified.backup.timeIntervalSince1970)
        entry.gauge(Family.lastSuccess, in: registry).set(to: verified.verifiedAt.timeIntervalSince1970)
    }

    private func setGauges(_ outcome: Outcome, _ entry: TargetSeries) {
        func set(_ family: MetricNameDescriptor, _ value: Double) { entry.gauge(family, in: registry).set(to: value) }
        set(Family.restoreSuccess, outcome.status == .passed ? 1 : 0)
        set(Family.lastRun, outcome.finished.timeIntervalSince1970)
        set(Family.duration, outcome.restoreSeconds ?? 0)
        set(Family.projected, outcome.projectedFullRestoreSeconds ?? .nan)
        if let backup = outcome.backupTimestamp { set(Family.latestBackup, backup.timeIntervalSince1970) }
        set(Family.verifiedFiles, Double(outcome.filesVerified))
        set(Family.verifiedBytes, Double(outcome.bytesRestored))
        set(Family.mismatches, Double(outcome.findings.count { $0.reason == .checksumMismatch }))
        if let remaining = outcome.sourceRead?.budgetRemainingBytes { set(Family.egressBudgetRemaining, Double(remaining)) }
        if let coverage = outcome.coverage {
            set(Family.coverageFiles, coverage.filesRatio)
            set(Family.coverageBytes, coverage.bytesRatio)
        }
        if let validated = outcome.filesValidated {
            set(Family.validatedFiles, Double(validated))
            set(Family.validationFailures, Double(outcome.findings.count { $0.reason == .validationFailed }))
            set(Family.validationDuration, outcome.validationSeconds ?? 0)
        }
    }

    /// Records a finished test.
    public func record(_ outcome: Outcome) {
        defer { changed() }
        perTarget.withLock { series in
            guard let entry = series[outcome.target] else { return }
            setGauges(outcome, entry)
            entry.verified = VerifiedRestorePoint.folding(entry.verified, outcome)
            setVerified(entry)
            entry.runs?.increment()
            if outcome.status != .passed { entry.failures?.increment() }
            entry.verifiedBytesTotal?.increment(by: Int64(outcome.bytesRestored))
            if let read = outcome.sourceRead {
                entry.sourceBytes?.increment(by: read.bytesFetched)
                entry.sourceRequests?.increment(by: Int64(read.requests))
                entry.sourceRetries?.increment(by: Int64(read.retries))
            }
        }
    }

    /// Refreshes the outcome series of the configured targets from `seeds` (in a fleet: the shared
    /// history, so every node serving a target shows the fleet's newest outcome, whoever tested it).
    public func refresh(seeds: [String: Seed]) {
        defer { changed() }
        perTarget.withLock { series in
            for (name, seed) in seeds {
                guard let entry = series[name] else { continue }
                apply(seed, to: entry)
            }
        }
    }

    /// This node's series in a fleet (`restorecheck_fleet_node_*`), made on first use.
    public func fleetNode(_ node: String) -> FleetNodeMetrics {
        fleet.withLock { existing in
            if let existing { return existing }
            let made = FleetNodeMetrics(registry: registry, node: node, changed: { [weak self] in self?.changed() })
            existing = made
            return made
        }
    }

    /// Marks a test of `target` as running or not.
    public func setRunning(_ target: String, _ running: Bool) {
        defer { changed() }
        perTarget.withLock { series in
            series[target]?.gauge(Family.inProgress, in: registry).set(to: running ? 1.0 : 0.0)
        }
    }

    /// Records the result of a config (re)load.
    public func configLoaded(successfully: Bool, at date: Date = Date()) {
        defer { changed() }
        reloadSuccessful.set(to: successfully ? 1.0 : 0.0)
        if successfully { reloadTimestamp.set(to: date.timeIntervalSince1970) }
    }

    /// Events waiting in the notification outbox after a delivery pass (README "Notifications").
    public func notificationsWaiting(_ count: Int) {
        defer { changed() }
        notifyWaiting.withLock { gauge in
            if gauge == nil { gauge = registry.makeGauge(descriptor: Family.notifyWaiting) }
            gauge?.set(to: Double(count))
        }
    }

    func changed() { generation.add(1, ordering: .releasing) }

    /// The exposition in the Prometheus text format 0.0.4, plain or gzip-encoded.
    ///
    /// Rendered once per change and served from memory until the next: with 1,000 targets (18,000
    /// series, 1.5 MB) rendering and compressing on every scrape took ~7 ms of CPU, and 32 concurrent
    /// scrapers queued to a p99 of 0.5 s. Values only change when a test finishes or the config
    /// changes, so a scrape between changes is a copy.
    public func exposition() -> [UInt8] { render(gzip: false).bytes }

    /// The gzip-encoded exposition when `gzip` is asked for and compression worked; `gzipped` says
    /// which one `bytes` is.
    public func render(gzip: Bool) -> (bytes: [UInt8], gzipped: Bool) {
        let current = generation.load(ordering: .acquiring)
        return rendered.withLock { cache in
            let fresh = cache?.generation == current
            let plain = fresh ? cache!.plain : registry.emitToBuffer()
            var compressed = fresh ? cache!.gzip : nil
            if gzip, compressed == nil { compressed = try? Gzip.compress(plain) }
            cache = (current, plain, compressed)
            if gzip, let compressed { return (compressed, true) }
            return (plain, false)
        }
    }

    /// The exposition as a string (textfile collector, tests).
    public func expositionText() -> String { registry.emitToString() }
}
