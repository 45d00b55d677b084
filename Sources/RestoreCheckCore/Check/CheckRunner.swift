import Foundation

/// Carries out one restore test of one target: locate the restore point, measure its age against the
/// RPO, restore a sample in a worker, verify, project the full restore against the RTO, and build the
/// `Outcome`. Domain failures are data in the outcome; nothing here throws.
///
/// Shared by `restorecheck run` and the daemon's scheduler so both produce the same truth.
public struct CheckRunner: Sendable {
    public var scratchBase: String
    public var supervisor: WorkerSupervisor
    /// The wall clock; injected so tests can make a backup "old" without waiting.
    public var now: @Sendable () -> Date

    public init(scratchBase: String, supervisor: WorkerSupervisor, now: @escaping @Sendable () -> Date = { Date() }) {
        self.scratchBase = scratchBase
        self.supervisor = supervisor
        self.now = now
    }

    /// Live progress of one test, for a terminal progress line.
    public struct Progress: Sendable {
        public var target: String
        public var archiveBytes: Int64
        public var archiveBytesRead: Int64
        public var bytesRestored: Int64
        public var elapsedSeconds: Double
    }

    /// Runs the test. `cancellation` stops the worker and removes scratch; the outcome is then nil.
    /// Cancelling the calling task does the same (a ServiceGroup cancelling the scheduler when
    /// another service fails must not wait for a worker up to `limits.timeout`).
    public func check(
        _ target: Target, seed: UInt64, cancellation: CancellationFlag = CancellationFlag(),
        progress: @escaping @Sendable (Progress) -> Void = { _ in }
    ) async -> Outcome? {
        await withTaskCancellationHandler {
            // The supervisor blocks in poll(2) for the whole test: it gets a thread of its own.
            await DedicatedThread.run(name: "restorecheck supervisor \(target.name)") {
                checkBlocking(target, seed: seed, cancellation: cancellation, progress: progress)
            }
        } onCancel: {
            // The supervisor's loop sees the flag within one poll (200 ms) and kills the worker's group.
            cancellation.cancel()
        }
    }

    /// One test, start to end, on the supervisor's thread: the source locates the restore point
    /// and readies it, the worker restores and verifies the sample, and each step adds to the
    /// outcome. Nil when cancelled.
    func checkBlocking(
        _ target: Target, seed: UInt64, cancellation: CancellationFlag, progress: @escaping @Sendable (Progress) -> Void
    ) -> Outcome? {
        let outcome = OutcomeBuilder(target: target, seed: seed, started: now(), now: now)
        let source = RestorePointSources.source(for: target, scratchBase: scratchBase)
        defer { source.close() }
        let point: RestorePoint
        switch source.locate(cancellation: cancellation) {
        case .success(let located): point = located
        case .failure(let failure):
            // Cancelled (Ctrl-C, shutdown): no outcome, as when a worker is stopped.
            return cancellation.isCancelled ? nil : outcome.fail(failure)
        }
        outcome.located(point)
        var canaryKey: [UInt8]?
        if let canary = target.canary {
            // The restore point's time comes from the restored canary, judged after the restore.
            outcome.outcome.restorePointSource = "canary"
            do { canaryKey = try Canary.key(at: canary.keyPath, create: false) } catch {
                return outcome.fail(SourceFailure(reason: .internalError, summary: "cannot read the canary key: \(error)"))
            }
        } else {
            outcome.outcome.restorePointSource = point.timeSource
            outcome.judgeRestorePoint(point.time, path: point.display)
        }
        let manifest: String?
        switch usableManifest(target.manifestPath(forArchive: point.manifestKey), source: source, outcome: outcome, cancellation: cancellation) {
        case .success(let usable): manifest = usable
        case .failure(let failure): return cancellation.isCancelled ? nil : outcome.fail(failure)
        }

        let scratch: ScratchDirectory
        do { scratch = try ScratchDirectory.create(under: scratchBase, label: target.name) } catch {
            return outcome.fail(SourceFailure(reason: .scratchError, summary: "cannot prepare scratch: \(error)"))
        }
        var request = workerRequest(target, point: point, seed: seed, manifest: manifest, scratch: scratch)
        let coverage = manifest == nil ? nil : CoverageTracking(target: target, today: CoverageState.day(of: outcome.started))
        do { request.coverage = try coverage?.prepare() } catch {
            outcome.note("coverage not tracked: \(error)")
        }
        if let failure = source.prepare(&request, scratch: scratch, cancellation: cancellation) {
            try? scratch.remove()
            return cancellation.isCancelled ? nil : outcome.fail(failure)
        }
        return restoreAndJudge(
            request, scratch: scratch, source: source, point: point, coverage: coverage, canaryKey: canaryKey, outcome: outcome,
            cancellation: cancellation, progress: progress)
    }

    /// The worker's pass over the prepared restore point, the validation commands on what it
    /// restored, and every judgement of its report: the source's, coverage, changes, the canary.
    private func restoreAndJudge(
        _ request: WorkerRequest, scratch: ScratchDirectory, source: any RestorePointSource, point: RestorePoint, coverage: CoverageTracking?,
        canaryKey: [UInt8]?, outcome: OutcomeBuilder, cancellation: CancellationFlag, progress: @escaping @Sendable (Progress) -> Void
    ) -> Outcome? {
        let target = outcome.target
        let started = outcome.started
        let result = supervisor.run(request, archive: source.archiveDescriptor, cancellation: cancellation) { update in
            progress(Progress(
                target: target.name, archiveBytes: point.archiveBytes ?? 0, archiveBytesRead: update.archiveBytesRead,
                bytesRestored: update.bytesRestored, elapsedSeconds: now().timeIntervalSince(started)))
        }
        let sourceFailure = source.workerFinished()
        outcome.outcome.sourceRead = source.sourceRead
        let canaryBytes = target.canary.flatMap { scratch.readRestoredFile($0.entry, limit: 4096) }
        // Validation commands need the restored files: they run before scratch is removed.
        var commands = ValidationCommands.Results()
        if case .finished(let report, _) = result, report.fatal == nil, sourceFailure == nil {
            commands = ValidationCommands.run(report.commandCandidates, target: target, scratch: scratch.path, cancellation: cancellation)
        }
        do { try scratch.remove() } catch {
            outcome.note("scratch not fully removed: \(error)")
        }
        if case .cancelled = result { return nil }
        if let sourceFailure { return outcome.fail(sourceFailure) }
        switch result {
        case .cancelled:
            return nil
        case .failed(let reason, let message, let seconds):
            outcome.outcome.restoreSeconds = seconds
            outcome.record(Finding(path: point.display, reason: reason, detail: message))
            return outcome.finish(summary: message)
        case .finished(var report, let seconds):
            report.findings += commands.findings
            report.filesValidated += commands.files
            report.validationSeconds += commands.seconds
            outcome.outcome.restoreSeconds = source.restoreSeconds + seconds + commands.seconds
            outcome.apply(report, projected: source.projectedFullRestoreSeconds(report), integrityMeaning: source.integrityMeaning)
            source.judge(report, into: outcome)
            if let coverage, request.coverage != nil { coverage.record(report, into: outcome) }
            if let manifest = request.manifestPath, report.fatal == nil, report.verifiedAgainstManifest, let changes = ChangeTracking(target: target) {
                changes.compare(manifest: manifest, report: report, into: outcome)
            }
            if let canary = target.canary, let canaryKey { outcome.judge(canary, restored: canaryBytes, key: canaryKey) }
            return outcome.finish(summary: outcome.summary(of: report))
        }
    }

    /// The manifest to verify against: nil when none is configured, or when the configured one is
    /// missing (`manifest_missing`, verified for integrity only); a failure when the source could
    /// not tell whether it exists.
    private func usableManifest(
        _ name: String?, source: any RestorePointSource, outcome: OutcomeBuilder, cancellation: CancellationFlag
    ) -> Result<String?, SourceFailure> {
        outcome.outcome.manifest = name
        guard let name else { return .success(nil) }
        switch source.manifest(named: name, cancellation: cancellation) {
        case .found(let path, let display):
            outcome.outcome.manifest = display
            return .success(path)
        case .missing(let display):
            outcome.outcome.manifest = display
            outcome.insert(.manifestMissing)
            outcome.note("manifest \(display) not found: verified for integrity only")
            return .success(nil)
        case .failed(let failure):
            return .failure(failure)
        }
    }

    /// The worker's request for a test: what to restore (the sample, the canary always), where, and
    /// what to check. Its input is the archive's descriptor until the source says otherwise.
    private func workerRequest(_ target: Target, point: RestorePoint, seed: UInt64, manifest: String?, scratch: ScratchDirectory) -> WorkerRequest {
        var sample = target.sample
        if let canary = target.canary { sample.include.append(canary.entry) }
        var request = WorkerRequest(
            archivePath: "/proc/self/fd/3", scratchPath: scratch.path, manifestPath: manifest, sample: sample, seed: seed, limits: target.limits)
        request.displayPath = point.display
        request.checkContent = target.contentChecks != .off
        request.validate = target.validate
        request.liveSource = target.liveSource
        return request
    }
}
