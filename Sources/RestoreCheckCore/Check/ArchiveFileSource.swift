import ArchiveFormats
import Foundation
import Glibc

/// The newest archive file matching the target's glob, opened once: its age and size come from
/// `fstat` of that descriptor, and the same descriptor goes to the worker as fd 3. A backup job
/// renaming a new archive into place mid-test cannot make the verdict mix two restore points.
final class ArchiveFileSource: RestorePointSource {
    private let target: Target
    private let choice: RestorePointChoice
    private(set) var archiveDescriptor: Int32?

    init(target: Target, choice: RestorePointChoice = .newest) {
        self.target = target
        self.choice = choice
    }

    func listPoints(cancellation: CancellationFlag) -> Result<[ListedRestorePoint], SourceFailure> {
        .success(ArchiveLocator.candidates(matching: target.archiveGlob)
            .map { ListedRestorePoint(display: $0.path, time: Date(timeIntervalSince1970: $0.modificationTime), bytes: $0.size) }
            .sorted { ($0.time, $0.display) > ($1.time, $1.display) })
    }

    func locate(cancellation: CancellationFlag) -> Result<RestorePoint, SourceFailure> {
        let candidates = ArchiveLocator.candidates(matching: target.archiveGlob)
            .filter { choice.accepts(display: $0.path, time: Date(timeIntervalSince1970: $0.modificationTime)) }
        guard let candidate = candidates.max(by: { ($0.modificationTime, $0.path) < ($1.modificationTime, $1.path) }) else {
            return .failure(SourceFailure(reason: .noArchive, summary: "no archive matches \(target.archiveGlob)"))
        }
        let fd: Int32
        switch SystemCalls.open(candidate.path, O_RDONLY | O_CLOEXEC) {
        case .success(let opened): fd = opened
        case .failure(let error):
            // Gone between the listing and the open (a rotation): no restore point; refused: unreadable.
            let reason: OutcomeReason = error.rawValue == EACCES || error.rawValue == EPERM ? .archiveUnreadable : .noArchive
            return .failure(SourceFailure(reason: reason, summary: "cannot open \(candidate.path): \(error)", subject: candidate.path))
        }
        archiveDescriptor = fd
        let status: stat
        switch SystemCalls.fstat(fd) {
        case .success(let found): status = found
        case .failure(let error):
            return .failure(SourceFailure(reason: .archiveUnreadable, summary: "cannot stat \(candidate.path): \(error)", subject: candidate.path))
        }
        let modified = Date(timeIntervalSince1970: Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9)
        let point = RestorePoint(
            display: candidate.path, time: modified, timeSource: "archive_mtime", manifestKey: candidate.path,
            archiveBytes: Int64(status.st_size), archiveModified: modified)
        // One volume of a split archive holds part of a stream: read alone it would look damaged.
        if let volume = ArchiveSignature.splitVolume(atPath: candidate.path) {
            return .failure(SourceFailure(
                reason: .unsupportedFormat,
                summary: "\(volume): restorecheck reads whole archives, not volumes; join them (zip -s 0, cat) and point archives: at the result",
                point: point))
        }
        return .success(point)
    }

    /// The worker reads the descriptor (`/proc/self/fd/3`, the request's default input).
    func prepare(_ request: inout WorkerRequest, scratch: ScratchDirectory, cancellation: CancellationFlag) -> SourceFailure? { nil }

    func workerFinished() -> SourceFailure? {
        close()
        return nil
    }

    var restoreSeconds: Double { 0 }

    func projectedFullRestoreSeconds(_ report: WorkerReport) -> Double? { RestoreProjection.fullRestoreSeconds(report) }

    var integrityMeaning: String { "sampled files were decoded and sizes and the format's CRCs checked" }

    /// Nothing would come back from an archive with no files. An all-zero file (a failed disk, a
    /// preallocated upload that never finished) also reads as an empty tar: never let that pass.
    func judge(_ report: WorkerReport, into outcome: OutcomeBuilder) { Self.judgeEmpty(report, into: outcome) }

    /// The rule for an archive read as a stream of entries, wherever it is stored.
    static func judgeEmpty(_ report: WorkerReport, into outcome: OutcomeBuilder) {
        guard report.regularFiles == 0, report.fatal == nil else { return }
        outcome.record(Finding(path: outcome.outcome.archive ?? "", reason: .entryMissing, detail: "the archive holds no files"))
    }

    func close() {
        if let fd = archiveDescriptor { SystemCalls.close(fd) }
        archiveDescriptor = nil
    }
}
