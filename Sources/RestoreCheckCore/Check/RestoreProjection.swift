/// Projects a full restore's duration from a sampled restore.
///
/// A restore pays per file, per directory and per byte, and the two stages of the worker share the
/// per-byte work: the decoder (one thread: libarchive) and the hash/write thread. The worker measures
/// each part on what it restored, and the projection charges the whole archive at those rates:
///
///     decoder   = fixed + files × (open + data_intercept) + directories × per_directory + bytes × decode
///     projected = max(decoder, (decoder + bytes × hash_write) / 2)
///
/// - `fixed`: the pass's time that was neither files, data nor skipping (opening, headers).
/// - `open`: creating and closing a file, without walking to its directory; at most its cost measured
///   warm after the pass (`warmCreateSeconds`), as a full restore creates files back to back. A
///   sample's files are created cold, between runs of skipped entries: 66 µs each against 8.7 µs in
///   a full pass on the bench's 200,000-file archive, which over-projected it 3.3×.
/// - `per_directory`: walking to and creating a parent directory. A sample's files land in scattered
///   directories and pay this almost per file; a full restore pays it once per directory (the
///   archive's directory entries). Charged per file, it made a 20-file sample over-project ~2×.
/// - `data_intercept` and `decode`: a least-squares line through each restored file's data time
///   against its size (`LinearFit`): what a file's data costs whatever its size, and what a byte
///   costs. Where the pass skipped enough data by decoding it (a compressed stream), the decoder's
///   per-byte cost is that skip rate instead, measured over most of the archive.
/// - Where entries are compressed one by one (zip), a byte's cost depends on its file: a stored
///   media file costs a copy, a text file an inflate, and a sample of 20 files by count is mostly
///   small text. So files the archive holds uncompressed (`isIncompressible`: their span in the
///   archive is at least 90 % of their size) are counted apart and projected at the rate measured
///   on such files, or, when none was sampled, as a copy bounded by the hash/write thread.
/// - `hash_write`: the second thread's time per byte (a line through its time per file, as for
///   `decode`: a small file's write costs a call whatever its size). In a full restore the two
///   threads overlap and the decoder writes when the other is behind, so the restore takes the
///   larger of the decoder thread's work and half of both threads' work.
///
/// With every file restored nothing is extrapolated: the projection is the measured time. When
/// nothing was restored there is no rate to extrapolate from: nil. The README states the error bars
/// `make bench` measures.
public enum RestoreProjection {
    /// Below this many bytes, a skip rate is too noisy to stand for the decoder.
    static let minimumSkipBytes: Int64 = 16 << 20

    /// The restore's projection plus the measured time of the `validate:` checks, as measured: an
    /// application is not back until it answers, and its checks run once per restore, not per byte.
    public static func fullRestoreSeconds(_ report: WorkerReport) -> Double? {
        restoreSeconds(report).map { $0 + report.validationSeconds }
    }

    static func restoreSeconds(_ report: WorkerReport) -> Double? {
        guard report.fatal == nil else { return nil }
        // The pass's own time: waits for object storage are the source's to project.
        let elapsed = report.elapsedSeconds - report.storeWaitSeconds
        if report.regularFiles == 0 { return elapsed }
        guard report.filesRestoredAll > 0, report.bytesRestoredAll > 0 else { return nil }
        if report.filesRestoredAll >= report.regularFiles { return elapsed - report.skipSeconds }

        let restoredFiles = Double(report.filesRestoredAll)
        let fixed = max(0, elapsed - report.fileOverheadSeconds - report.dataSeconds - report.skipSeconds)
        let sampledOpen = max(0, report.fileOverheadSeconds - report.directorySeconds) / restoredFiles
        let open = report.warmCreateSeconds.map { min($0, sampledOpen) } ?? sampledOpen
        let perDirectory = report.directoriesCreated > 0 ? report.directorySeconds / Double(report.directoriesCreated) : 0
        let directories = Double(max(report.directoryEntries, report.directoriesCreated))

        let hashWrite = dataLine(report.sinkFit, fallback: report.sinkBytes > 0 ? report.sinkSeconds / Double(report.sinkBytes) : 0).slope

        let (intercept, slope) = dataLine(report.dataFit, fallback: report.dataSeconds / Double(report.bytesRestoredAll))
        let bytes = Double(report.totalFileBytes)
        let decodeSeconds: Double
        if report.skipDecodedBytes >= minimumSkipBytes, report.skipSeconds > 0 {
            decodeSeconds = bytes * report.skipSeconds / Double(report.skipDecodedBytes)
        } else {
            let stored = Double(min(report.incompressibleBytes, report.totalFileBytes))
            // No stored file sampled: a copy, its cost on the hash/write thread.
            let storedDecode = dataLine(report.incompressibleFit, fallback: 0).slope
            decodeSeconds = (bytes - stored) * slope + stored * storedDecode
        }
        let decoderThread = fixed + Double(report.regularFiles) * (open + intercept) + directories * perDirectory + decodeSeconds
        return overlapped(decoderThread: decoderThread, sinkThread: bytes * hashWrite)
    }

    /// The two threads' work over two cores: the decoder's thread cannot be split, the hash/write
    /// work can (the decoder writes when the other thread is behind). So the larger of the decoder's
    /// work and half of both. Why the whole decoder thread and not only its bytes: on many small
    /// files the decoder's per-file work (headers, creating files) overlaps the other thread's
    /// hashing; charging it on top over-projected 200,000 files of 1-8 KiB 1.47-1.65×.
    static func overlapped(decoderThread: Double, sinkThread: Double) -> Double {
        max(decoderThread, (decoderThread + sinkThread) / 2)
    }

    /// Whether a file was held uncompressed in the archive: at least 1 MiB (block-sized reads make
    /// smaller spans meaningless) and a span in the archive of at least 90 % of its size.
    package static func isIncompressible(declared: Int64, archiveBytes: Int64) -> Bool {
        declared >= 1 << 20 && Double(archiveBytes) >= 0.9 * Double(declared)
    }

    /// The per-file and per-byte data cost: the fitted line when it is usable (a positive slope; the
    /// intercept clamped to what a file's data took on average), else all time charged per byte.
    static func dataLine(_ fit: LinearFit, fallback: Double) -> (intercept: Double, slope: Double) {
        guard fit.count > 0 else { return (0, fallback) }
        var (intercept, slope) = (0.0, fit.means.y / max(1, fit.means.x))
        if let line = fit.line, line.slope > 0 { (intercept, slope) = (min(max(0, line.intercept), fit.means.y), line.slope) }
        // Files of about one size say nothing about a byte's cost: a sample of 20-40-byte files with
        // one delayed by a stalled core fitted 0.1 s a byte, hours for an archive with a few MB of
        // large files (a false rto_exceeded). There, a cost beyond `noisySlopeCeiling` is charged
        // per file instead. Measured slopes (1-10 ns a byte) never reach it.
        if slope > Self.noisySlopeCeiling, fit.xSpread < Self.identifyingSizeSpread {
            slope = Self.noisySlopeCeiling
            intercept = max(0, fit.means.y - slope * fit.means.x)
        }
        return (intercept, slope)
    }

    /// Sizes closer together than this (standard deviation) cannot separate a file's cost from a byte's.
    static let identifyingSizeSpread = 64.0 * 1024
    /// 20 ns a byte (50 MB/s): slower than any decoder, hash or scratch write measured here.
    static let noisySlopeCeiling = 20e-9
}
