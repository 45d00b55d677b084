import Foundation

/// One test's restore point as its source found it: what the test judges (identity, time, size).
struct RestorePoint {
    /// The name the outcome, its findings and the history give it: an archive's path, or
    /// `restic:REPOSITORY@ID` / `borg:REPOSITORY::NAME`.
    var display: String
    /// When the backup was taken, as the source tells it (`timeSource`).
    var time: Date
    /// `archive_mtime` or `snapshot_time`: the outcome's `restorePointSource` unless a canary decides.
    var timeSource: String
    /// What `{archive}` stands for in the manifest template: the archive's path, or the snapshot's ID
    /// (borg: the archive's name).
    var manifestKey: String
    /// The archive file's size and modification time, as opened; nil for a snapshot.
    var archiveBytes: Int64?
    var archiveModified: Date?
}

/// Why a test ended before the worker's report: the outcome's reason and its one-line summary.
struct SourceFailure: Error {
    var reason: OutcomeReason
    var summary: String
    /// What the outcome names as its archive when nothing was located (the path that could not be
    /// opened, the repository that could not be listed).
    var subject: String? = nil
    /// Also a finding at `subject` (or the located restore point), with the summary as its detail.
    var recordsFinding = false
    /// The restore point, when it was located and then refused (one volume of a split archive).
    var point: RestorePoint? = nil
}

/// Where a test's restore point comes from, and how the restore worker gets to read it: the newest
/// archive file matching a glob (`ArchiveFileSource`), a repository's newest snapshot restored by
/// its own tool (`RepositorySnapshotSource`), or the newest object in a bucket streamed from object
/// storage (`ObjectStorageSource`).
///
/// `CheckRunner` drives every source through the same steps: `locate`, `prepare` the worker's
/// input, run the worker, `workerFinished`, then the source's own verdict in `judge`; `close`
/// releases whatever `locate` held, whatever happened.
protocol RestorePointSource: AnyObject {
    /// Finds the newest restore point and fixes its identity, so that what is judged is what is read.
    func locate(cancellation: CancellationFlag) -> Result<RestorePoint, SourceFailure>

    /// Every restore point the source holds, newest first (`restorecheck restore --list-points`).
    func listPoints(cancellation: CancellationFlag) -> Result<[ListedRestorePoint], SourceFailure>

    /// Puts the restore point where the worker reads it: sets `request`'s input (a repository's
    /// tool restores the sample into `scratch` first).
    func prepare(_ request: inout WorkerRequest, scratch: ScratchDirectory, cancellation: CancellationFlag) -> SourceFailure?

    /// The descriptor the worker reads as fd 3; nil when the worker reads a restored tree.
    var archiveDescriptor: Int32? { get }

    /// Where the worker reads the manifest called `name` (the target's template expanded for this
    /// restore point): a local file for most sources, a downloaded copy for object storage.
    func manifest(named name: String, cancellation: CancellationFlag) -> ManifestLookup

    /// The worker has ended: the descriptor can go. A failure here is the source's own (object
    /// storage that stopped answering mid-stream) and voids the worker's report: what the worker
    /// saw of a cut stream says nothing about the backup.
    func workerFinished() -> SourceFailure?

    /// Time the source spent restoring before the worker (a tool's restore), part of the restore time.
    var restoreSeconds: Double { get }

    /// What the test read from object storage, once the worker has finished; nil for other sources.
    var sourceRead: SourceRead? { get }

    /// The full restore's time for the RTO; nil when it cannot be told.
    func projectedFullRestoreSeconds(_ report: WorkerReport) -> Double?

    /// What "integrity only" checked, for the note of a test without a manifest.
    var integrityMeaning: String { get }

    /// The source's own verdict after the worker's report is applied (an empty archive; a tool's
    /// errors and the snapshot's counts).
    func judge(_ report: WorkerReport, into outcome: OutcomeBuilder)

    func close()
}

/// What a source found for the manifest of a restore point.
enum ManifestLookup {
    /// The worker reads `path`; outcomes name it `display`.
    case found(path: String, display: String)
    /// There is none (`manifest_missing`: verified for integrity only).
    case missing(display: String)
    /// The source could not tell (object storage unreachable): the test is an error.
    case failed(SourceFailure)
}

extension RestorePointSource {
    var sourceRead: SourceRead? { nil }

    /// A manifest on this host's file system, as configured.
    func manifest(named name: String, cancellation: CancellationFlag) -> ManifestLookup {
        FileManager.default.fileExists(atPath: name) ? .found(path: name, display: name) : .missing(display: name)
    }
}

enum RestorePointSources {
    /// The source a target's configuration names; `choice` says which of its points `locate` takes.
    static func source(for target: Target, scratchBase: String, choice: RestorePointChoice = .newest) -> any RestorePointSource {
        if let repository = target.repository {
            return RepositorySnapshotSource(repository, target: target, scratchBase: scratchBase, choice: choice)
        }
        if let storage = target.objectStorage {
            return ObjectStorageSource(storage, target: target, scratchBase: scratchBase, choice: choice)
        }
        return ArchiveFileSource(target: target, choice: choice)
    }
}
