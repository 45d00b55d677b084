import ArchiveKit

/// Which decoders the restore worker uses on this host (README "Decoders beyond libarchive's"), for
/// `check-config`: ISA-L or libarchive's zlib for gzip, and liblzma's threaded decoder or
/// libarchive's filter for multi-block xz. Asked here so the command need not link ArchiveKit.
public enum WorkerDecoders {
    /// One line: "gzip ISA-L; multi-block xz liblzma, 2 threads", with the reason when ISA-L is not used.
    public static var summary: String {
        let gzip = ArchiveReader.GzipDecoder.preferred == .isal
            ? "ISA-L"
            : "libarchive's zlib (\(ArchiveReader.GzipDecoder.isalUnavailableReason ?? "RESTORECHECK_GZIP_DECODER=zlib"); gzip trailers unchecked)"
        let xzThreads = ArchiveReader.preferredXZThreads
        return "gzip \(gzip); multi-block xz \(xzThreads > 0 ? "liblzma, \(xzThreads) threads" : "libarchive's filter, one thread")"
    }
}
