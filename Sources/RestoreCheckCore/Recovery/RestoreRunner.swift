import Foundation

/// `restorecheck restore`: the restore an operator runs on the bad day, through the same source,
/// worker, defences and digests as a test, into a directory to keep, recorded in the history and
/// the evidence chain like a test (origin `restore`).
///
/// The restore point is chosen from what the source lists and what the history says of each point
/// (`RestorePointVerdicts`): by default the newest that passed its last test. A restore judges the
/// bytes it wrote, not the point's age: the RPO is not judged (an operator restoring last week's
/// point on purpose did not breach it). A complete restore of every file is the target's measured
/// RTO; a partial one (`--include`) projects the full restore as a test does.
public struct RestoreRunner: Sendable {
    /// The history's `origin` of a restore (tests are `serve` or `run`).
    public static let origin = "restore"

    public var scratchBase: String
    public var supervisor: WorkerSupervisor
    public var now: @Sendable () -> Date

    public init(scratchBase: String, supervisor: WorkerSupervisor, now: @escaping @Sendable () -> Date = { Date() }) {
        self.scratchBase = scratchBase
        self.supervisor = supervisor
        self.now = now
    }

    /// What the operator asked for.
    public struct Request: Sendable {
        public enum Point: Sendable, Equatable {
            /// The newest point whose last test passed (the default).
            case verified
            /// The newest point, tested or not.
            case newest
            /// The point of this name (as `--list-points` shows it).
            case named(String)
        }

        public var target: Target
        public var directory: RestoreDirectory
        public var point: Point = .verified
        public var before: Date?
        public var include: [String] = []
        public var owners: Bool
        public var overwrite = false
        /// `--xattrs` (see `RestoreInto.xattrs`).
        public var xattrs = false
        /// Who ran it, for the record.
        public var operatorName: String

        public init(target: Target, directory: RestoreDirectory, owners: Bool, operatorName: String) {
            self.target = target
            self.directory = directory
            self.owners = owners
            self.operatorName = operatorName
        }
    }

    /// How a restore ended.
    public enum Result: Sendable {
        /// The worker finished: the outcome says what was restored and whether every byte matched.
        /// `complete`: the pass reached the archive's end (no fatal stop, no source failure).
        case finished(Outcome, RestoreTally?, chosen: RestorePointVerdicts.Listed, complete: Bool)
        /// No restore point fits the request (or the source could not list them); nothing was written.
        case notStarted(String)
        /// Interrupted: what stands under final names is complete and verified; partial files removed.
        case interrupted(filesKept: Int, partialsRemoved: Int)
    }

    /// Lists the target's restore points with the verdict of each one's last test.
    public func listPoints(
        _ target: Target, history: [RunRecord], cancellation: CancellationFlag
    ) -> Swift.Result<[RestorePointVerdicts.Listed], RestorePointVerdicts.Refusal> {
        let source = RestorePointSources.source(for: target, scratchBase: scratchBase)
        defer { source.close() }
        switch source.listPoints(cancellation: cancellation) {
        case .success(let points): return .success(RestorePointVerdicts(history: history).annotate(points))
        case .failure(let failure): return .failure(RestorePointVerdicts.Refusal(description: "cannot list the restore points of \(target.name): \(failure.summary)"))
        }
    }

    /// Restores. Blocking: call from a thread of its own (the supervisor waits in poll(2)).
    public func restore(
        _ request: Request, history: [RunRecord], cancellation: CancellationFlag, progress: @escaping (WorkerProgress) -> Void
    ) -> Result {
        let target = request.target
        let listed: [RestorePointVerdicts.Listed]
        switch listPoints(target, history: history, cancellation: cancellation) {
        case .success(let points): listed = points
        case .failure(let refusal): return .notStarted(refusal.description)
        }
        let chosen: RestorePointVerdicts.Listed
        switch RestorePointVerdicts.choose(request.point, before: request.before, from: listed) {
        case .success(let point): chosen = point
        case .failure(let refusal): return .notStarted(refusal.description)
        }
        let source = RestorePointSources.source(
            for: target, scratchBase: scratchBase, choice: RestorePointChoice(passed: [chosen.point.display]))
        defer { source.close() }
        var restoring = target
        restoring.validate = []  // validation commands judge tests; a restore keeps the files as they are
        let outcome = OutcomeBuilder(target: restoring, seed: 0, started: now(), now: now)
        outcome.outcome.sample = RestoreInto.sampleLabelPrefix + (request.include.isEmpty ? "all files" : request.include.joined(separator: ", "))
        let point: RestorePoint
        switch source.locate(cancellation: cancellation) {
        case .success(let located): point = located
        case .failure(let failure): return cancellation.isCancelled ? .interrupted(filesKept: 0, partialsRemoved: 0) : .notStarted(failure.summary)
        }
        outcome.located(point)
        outcome.outcome.backupTimestamp = point.time
        outcome.outcome.restorePointSource = point.timeSource
        outcome.outcome.backupAgeSeconds = max(0, outcome.started.timeIntervalSince(point.time))
        outcome.note("restored into \(request.directory.path) by \(request.operatorName); the point \(chosen.summary)")

        var manifest: String?
        if let name = target.manifestPath(forArchive: point.manifestKey) {
            switch source.manifest(named: name, cancellation: cancellation) {
            case .found(let path, let display):
                manifest = path
                outcome.outcome.manifest = display
            case .missing(let display):
                outcome.outcome.manifest = display
                outcome.insert(.manifestMissing)
                outcome.note("manifest \(display) not found: restored, checked for integrity only")
            case .failed(let failure):
                return .notStarted(failure.summary)
            }
        }
        var limits = target.limits
        limits.maxBytes = .max  // the directory's free space is the limit; the ratio still stops a bomb
        limits.timeout = TimeSpan(seconds: 30 * 24 * 3600)  // no deadline; the stall watchdog stays
        var worker = WorkerRequest(
            archivePath: "/proc/self/fd/3", scratchPath: request.directory.path, manifestPath: manifest, sample: SampleSpec(size: .all),
            seed: 0, limits: limits)
        worker.displayPath = point.display
        worker.checkContent = target.contentChecks != .off
        worker.restore = RestoreInto(only: request.include, owners: request.owners, overwrite: request.overwrite, xattrs: request.xattrs)
        if let failure = source.prepare(&worker, scratch: ScratchDirectory(path: request.directory.path), cancellation: cancellation) {
            if cancellation.isCancelled { return interrupted(request.directory) }
            return .notStarted(failure.summary)
        }
        let result = supervisor.run(worker, archive: source.archiveDescriptor, cancellation: cancellation, progress: progress)
        let sourceFailure = source.workerFinished()
        outcome.outcome.sourceRead = source.sourceRead
        switch result {
        case .cancelled:
            return interrupted(request.directory)
        case .failed(let reason, let message, let seconds):
            request.directory.removePartials()
            outcome.outcome.restoreSeconds = seconds
            outcome.record(Finding(path: point.display, reason: reason, detail: message))
            return .finished(outcome.finish(summary: message), nil, chosen: chosen, complete: false)
        case .finished(let report, let seconds):
            if let sourceFailure { return .finished(outcome.fail(sourceFailure), report.restored, chosen: chosen, complete: false) }
            let measured = source.restoreSeconds + seconds
            outcome.outcome.restoreSeconds = measured
            let complete = request.include.isEmpty && report.fatal == nil
            // A whole restore is the RTO's measurement; a part of one projects the rest as a test does.
            outcome.apply(report, projected: complete ? measured : source.projectedFullRestoreSeconds(report), integrityMeaning: source.integrityMeaning)
            if complete { outcome.note("full restore measured: \(TimeSpan.format(measured)) (RTO \(TimeSpan.format(target.rto.seconds)))") }
            source.judge(report, into: outcome)
            outcome.outcome.rpoMet = nil
            return .finished(outcome.finish(summary: outcome.summary(of: report)), report.restored, chosen: chosen, complete: report.fatal == nil)
        }
    }

    private func interrupted(_ directory: RestoreDirectory) -> Result {
        let removed = directory.removePartials()
        return .interrupted(filesKept: directory.countFiles(), partialsRemoved: removed)
    }
}
