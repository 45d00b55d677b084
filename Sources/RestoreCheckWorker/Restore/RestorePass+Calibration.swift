import Glibc
import RestoreCheckCore

/// A sampled pass's per-file creation cost, measured warm.
///
/// Why: a sample's files are created one at a time between long runs of skipped entries, with the
/// caches full of the decoder's state; a full restore creates them back to back. Measured on the
/// bench's 200,000-file tar.zst: 66 µs per sampled file against 8.7 µs per file in the full pass,
/// so charging the sampled cost to every file over-projected the full restore 3.3×. So after the
/// pass, files are created and closed back to back in a directory of the worker's own below
/// scratch (then removed), and the projection charges the lower of the two (`warmCreateSeconds`).
extension RestorePass {
    /// Files created for the measurement; the first few warm the path and are not counted.
    static let calibrationFiles = 48
    static let calibrationWarmUp = 8

    mutating func calibrateFileCreation() {
        guard report.fatal == nil, request.restoredTree == nil, request.restore == nil, report.filesRestoredAll > 0,
            report.filesRestoredAll < report.regularFiles
        else { return }
        guard case .success(let root) = SystemCalls.open(request.scratchPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) else { return }
        defer { SystemCalls.close(root) }
        // A name of its own, made with mkdir's exclusivity: should an entry have it already, there
        // is no calibration (and the sampled cost stands).
        let name = Array(".restorecheck\ncalibration".utf8)
        guard SystemCalls.mkdirat(root, name, 0o700) == nil,
            case .success(let directory) = SystemCalls.openat(root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        else { return }
        defer {
            SystemCalls.close(directory)
            _ = SystemCalls.unlinkat(root, name, AT_REMOVEDIR)
        }
        var counted = 0.0
        for index in 0..<Self.calibrationFiles {
            let file = Array("f\(index)".utf8)
            let start = Clock.now
            guard case .success(let fd) = SystemCalls.openat(directory, file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) else { return }
            SystemCalls.close(fd)
            if index >= Self.calibrationWarmUp { counted += Clock.seconds(since: start) }
        }
        for index in 0..<Self.calibrationFiles { _ = SystemCalls.unlinkat(directory, Array("f\(index)".utf8), 0) }
        report.warmCreateSeconds = counted / Double(Self.calibrationFiles - Self.calibrationWarmUp)
    }
}
