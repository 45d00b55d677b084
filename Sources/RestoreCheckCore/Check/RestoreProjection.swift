/// Projects a full restore's duration from a sampled restore.
///
/// A restore costs something per file (create, close, directories) and something per byte (decode,
/// write, hash). The worker times both for the files it restored; the projection charges every file
/// and every byte of the archive at those measured rates, plus the time that was neither (opening the
/// archive, reading headers):
///
///     projected = overhead + files_in_archive × (file_seconds / files_restored)
///                          + bytes_in_archive × (data_seconds / bytes_restored)
///     overhead  = elapsed − file_seconds − data_seconds − skip_seconds
///
/// Time spent skipping unsampled data is replaced by restoring it, so a tar.gz (where skipping
/// decodes) is not charged twice. With `files: all` nothing is extrapolated and the projection is the
/// measured time. When nothing was restored there is no rate to extrapolate from: nil.
public enum RestoreProjection {
    public static func fullRestoreSeconds(_ report: WorkerReport) -> Double? {
        guard report.fatal == nil else { return nil }
        if report.regularFiles == 0 { return report.elapsedSeconds }
        guard report.filesRestoredAll > 0, report.bytesRestoredAll > 0 else { return nil }
        let overhead = max(0, report.elapsedSeconds - report.fileOverheadSeconds - report.dataSeconds - report.skipSeconds)
        let perFile = report.fileOverheadSeconds / Double(report.filesRestoredAll)
        let perByte = report.dataSeconds / Double(report.bytesRestoredAll)
        return overhead + Double(report.regularFiles) * perFile + Double(report.totalFileBytes) * perByte
    }
}
