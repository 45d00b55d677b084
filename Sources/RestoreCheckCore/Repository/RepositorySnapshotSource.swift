import Foundation

/// A restic or borg repository's snapshot as a test's restore point: listed in the tool sandbox
/// (`RepositoryRestore.locate`), restored by the tool itself into scratch (`RepositoryTest`), and
/// read in place by the worker; the tool's verdict, the snapshot's counts and the RTO projection
/// from its measured restore join the worker's findings.
final class RepositorySnapshotSource: RestorePointSource {
    private let source: RepositorySource
    private let target: Target
    private let scratchBase: String
    /// The tool's own working directory (cache, config), removed with the test.
    private var toolDirectory: ScratchDirectory?
    private var repository: RepositoryRestore?
    private var restored: RepositoryTest?
    private let choice: RestorePointChoice

    init(_ source: RepositorySource, target: Target, scratchBase: String, choice: RestorePointChoice = .newest) {
        self.source = source
        self.target = target
        self.scratchBase = scratchBase
        self.choice = choice
    }

    func listPoints(cancellation: CancellationFlag) -> Result<[ListedRestorePoint], SourceFailure> {
        let directory: ScratchDirectory
        do {
            directory = try ScratchDirectory.create(under: scratchBase, label: "\(target.name)-\(source.tool.rawValue)")
        } catch {
            return .failure(SourceFailure(reason: .scratchError, summary: "cannot prepare the tool's directory: \(error)"))
        }
        defer { try? directory.remove() }
        switch RepositoryRestore.snapshots(
            source, workDirectory: directory.path, limits: target.limits, timeout: target.limits.timeout, cancellation: cancellation)
        {
        case .success(let snapshots): return .success(snapshots.map { ListedRestorePoint(display: $0.display, time: $0.time) })
        case .failure(let failure): return .failure(SourceFailure(reason: failure.reason, summary: failure.detail, subject: source.display))
        }
    }

    func locate(cancellation: CancellationFlag) -> Result<RestorePoint, SourceFailure> {
        let directory: ScratchDirectory
        do {
            directory = try ScratchDirectory.create(under: scratchBase, label: "\(target.name)-\(source.tool.rawValue)")
        } catch {
            return .failure(SourceFailure(reason: .scratchError, summary: "cannot prepare the tool's directory: \(error)"))
        }
        toolDirectory = directory
        switch RepositoryRestore.locate(
            source, workDirectory: directory.path, limits: target.limits, timeout: target.limits.timeout, choice: choice,
            cancellation: cancellation)
        {
        case .success(let found):
            repository = found
            return .success(RestorePoint(
                display: found.snapshot.display, time: found.snapshot.time, timeSource: "snapshot_time", manifestKey: found.snapshot.id))
        case .failure(let failure):
            return .failure(SourceFailure(reason: failure.reason, summary: failure.detail, subject: source.display, recordsFinding: true))
        }
    }

    /// The tool restores the sample (or the whole snapshot) into `scratch`; the worker then reads
    /// that tree, every file of it, against the manifest.
    func prepare(_ request: inout WorkerRequest, scratch: ScratchDirectory, cancellation: CancellationFlag) -> SourceFailure? {
        guard let repository else { return SourceFailure(reason: .internalError, summary: "the snapshot was not located") }
        request.backupStarted = repository.snapshot.time.timeIntervalSince1970
        switch RepositoryTest.restore(
            repository, target: target, sample: request.sample, seed: request.seed, manifest: request.manifestPath,
            coverage: request.coverage, only: request.restore.map { IncludeFilter($0.only) }, into: scratch, cancellation: cancellation)
        {
        case .restored(let test):
            restored = test
            request.archivePath = scratch.path
            request.restoredTree = RestoredTree(requested: test.requested)
            request.sample = SampleSpec(size: .all)
            return nil
        case .failed(let failure):
            return SourceFailure(reason: failure.reason, summary: failure.detail, recordsFinding: true)
        }
    }

    var archiveDescriptor: Int32? { nil }

    func workerFinished() -> SourceFailure? { nil }

    var restoreSeconds: Double { restored?.seconds ?? 0 }

    func projectedFullRestoreSeconds(_ report: WorkerReport) -> Double? {
        restored?.projectedSeconds(validation: report.validationSeconds)
    }

    var integrityMeaning: String {
        "\(source.tool.rawValue) verified every chunk it restored against its ID and reported what it could not restore"
    }

    func judge(_ report: WorkerReport, into outcome: OutcomeBuilder) {
        restored?.judge(report, target: target, into: outcome)
    }

    func close() {
        try? toolDirectory?.remove()
        toolDirectory = nil
    }
}
