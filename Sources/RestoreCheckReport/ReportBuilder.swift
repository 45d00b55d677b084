import Foundation
import RestoreCheckCore

/// What a report needs to know of a configured target (its promises as configured now).
public struct ReportTarget: Sendable, Hashable {
    public var name: String
    public var rpoSeconds: Double
    public var rtoSeconds: Double

    public init(name: String, rpoSeconds: Double, rtoSeconds: Double) {
        self.name = name
        self.rpoSeconds = rpoSeconds
        self.rtoSeconds = rtoSeconds
    }

    public init(_ target: Target) {
        self.init(name: target.name, rpoSeconds: target.rpo.seconds, rtoSeconds: target.rto.seconds)
    }
}

/// Builds a tenant's report from the history alone (it never runs a test), through `HistoryQuery`.
public struct ReportBuilder: Sendable {
    public var history: any HistoryQuery
    public var rules: ReportRules

    public init(history: any HistoryQuery, rules: ReportRules = ReportRules()) {
        self.history = history
        self.rules = rules
    }

    /// The report of `tenant` for `from...to`. `targets` are the tenant's configured targets; a target
    /// no longer configured is reported too while it has tests in the period, with the RPO and RTO its
    /// last test recorded.
    public func build(tenant: String, targets: [ReportTarget], from: Date, to: Date, company: String? = nil) throws -> TenantReport {
        let runs = try history.finishedRuns(tenant: tenant, through: to)
        // The numbers, breaches and charts are the tests'; restores are listed apart (evidence, "Restores performed").
        let byTarget = Dictionary(grouping: runs.filter { !RestoreInto.isRestore(sample: $0.sample) }, by: \.target)
        var all = targets
        // A target removed from the config is reported while it has tests in the period.
        for name in byTarget.keys.sorted() where !targets.contains(where: { $0.name == name }) {
            guard let last = byTarget[name]?.last, last.finished >= from else { continue }
            all.append(ReportTarget(name: name, rpoSeconds: last.rpoSeconds ?? 0, rtoSeconds: last.rtoSeconds ?? 0))
        }
        var summaries: [TargetSummary] = []
        var breaches: [Breach] = []
        for target in all {
            let (summary, events) = summarize(target, runs: byTarget[target.name] ?? [], from: from, to: to)
            summaries.append(summary)
            breaches += events
        }
        let newest = all.compactMap { byTarget[$0.name]?.last { $0.status != .aborted }?.id }
        let coverage = try history.coverage(runIDs: newest)
        for index in summaries.indices {
            guard let id = byTarget[summaries[index].target]?.last(where: { $0.status != .aborted })?.id else { continue }
            summaries[index].coverage = coverage[id]
        }
        breaches.sort { lhs, rhs in
            if lhs.isOpen != rhs.isOpen { return lhs.isOpen }
            if lhs.opened != rhs.opened { return lhs.opened > rhs.opened }
            return lhs.target != rhs.target ? lhs.target < rhs.target : lhs.kind.rawValue < rhs.kind.rawValue
        }
        let inPeriod = runs.filter { $0.finished >= from }
        let findings = try history.findings(runIDs: inPeriod.filter { $0.findingCount > 0 }.map(\.id), perRun: rules.findingsPerRun)
        let reads = try history.sourceReads(runIDs: inPeriod.filter(\.readFromObjectStorage).map(\.id))
        let evidence = inPeriod.reversed().map { EvidenceRun(recorded: $0, findings: findings[$0.id] ?? [], sourceRead: reads[$0.id]) }
        return TenantReport(
            tenant: tenant, company: company, generated: to, period: .init(from: from, to: to), targets: summaries,
            breaches: breaches, evidence: evidence)
    }

    /// One target's summary line, chart series and ledger events.
    func summarize(_ target: ReportTarget, runs: [RecordedRun], from: Date, to: Date) -> (TargetSummary, [Breach]) {
        let (ledgerEvents, timeline, firstTest) = BreachLedger.events(
            target: target.name, tests: runs, rpo: target.rpoSeconds, rules: rules, periodStart: from, end: to)

        let measuredFrom = max(from, firstTest ?? to)
        let measured = max(0, to.timeIntervalSince(measuredFrom))
        let compliant = timeline.compliantSeconds(from: measuredFrom, to: to, rpo: target.rpoSeconds)

        let inPeriod = runs.filter { $0.finished >= from }
        var counts = TestCounts()
        for run in inPeriod {
            switch run.status {
            case .passed: counts.passed += 1
            case .failed: counts.failed += 1
            case .error: counts.error += 1
            case .aborted: counts.aborted += 1
            case .started: break  // `finishedRuns` never has it
            }
        }
        counts.run = counts.passed + counts.failed + counts.error
        let judgedRTO = inPeriod.compactMap(\.rtoMet)
        let verified = timeline.backup(at: to)
        let last = runs.last { $0.status != .aborted }
        let events = ledgerEvents.filter { ($0.resolved ?? to) >= from && $0.opened <= to }

        let summary = TargetSummary(
            target: target.name, rpoSeconds: target.rpoSeconds, rtoSeconds: target.rtoSeconds,
            verifiedBackupAgeSeconds: verified.map { to.timeIntervalSince($0) }, verifiedBackupTimestamp: verified,
            rpoMet: verified.map { to.timeIntervalSince($0) <= target.rpoSeconds } ?? false,
            lastResult: last?.status, lastTest: last?.finished, lastReasons: last?.reasons ?? [],
            rpoCompliancePercent: firstTest == nil || measured == 0 ? nil : 100 * compliant / measured,
            measuredSeconds: measured,
            rtoCompliancePercent: judgedRTO.isEmpty ? nil : 100 * Double(judgedRTO.count { $0 }) / Double(judgedRTO.count),
            tests: counts, filesVerified: inPeriod.reduce(0) { $0 + $1.filesVerified },
            bytesVerified: inPeriod.reduce(0) { $0 + $1.bytesRestored }, openBreaches: events.count { $0.isOpen },
            chart: ChartSeries(
                verifiedAge: timeline.agePolylines(from: measuredFrom, to: to),
                restoreTimes: inPeriod.filter { $0.restoreSeconds != nil || $0.projectedFullRestoreSeconds != nil }.map {
                    .init(time: $0.finished, status: $0.status, measuredSeconds: $0.restoreSeconds, projectedSeconds: $0.projectedFullRestoreSeconds)
                }))
        return (summary, events)
    }
}

extension ReportBuilder {
    /// The report of `tenant` over the `period` before `now`, for the tenant's configured targets and
    /// the config's branding: what `restorecheck report` and `serve` both produce.
    public func build(config: Config, tenant: String, period: TimeSpan, now: Date) throws -> TenantReport {
        try build(
            tenant: tenant, targets: config.targets.filter { $0.tenant == tenant }.map(ReportTarget.init),
            from: now.addingTimeInterval(-period.seconds), to: now, company: config.report.company)
    }
}
