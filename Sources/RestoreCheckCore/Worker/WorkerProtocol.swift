import Foundation

/// What the daemon asks of one restore worker (one JSON document on the worker's stdin).
public struct WorkerRequest: Sendable, Codable {
    /// What the worker opens: `/proc/self/fd/3` when the parent passed the archive it opened (every
    /// reader then gets its own offset on the same file, even if the path was replaced meanwhile).
    public var archivePath: String
    /// The archive's path for messages (the same as `archivePath` unless the parent passed an fd).
    public var displayPath: String?
    /// The archive's first bytes, when the worker reads a stream it cannot peek at without
    /// consuming it (object storage's pipe): they choose the decoder as a file's first bytes would.
    public var archiveHead: [UInt8]?
    /// Set when the parent serves the archive through range requests on a socket (an object in a
    /// bucket read at random: a zip's or 7z's sample), instead of a file or pipe at `archivePath`.
    public var rangedArchive: RangedArchive?
    /// A fresh, empty 0700 directory made by the parent; the worker writes only below it.
    public var scratchPath: String
    /// The manifest to verify against; nil for an integrity-only test.
    public var manifestPath: String?
    public var sample: SampleSpec
    public var seed: UInt64
    public var limits: RestoreLimits
    /// How often the worker reports progress (also the supervisor's proof of life).
    public var progressInterval: Double = 0.5
    /// Whether restored files are checked for ransomware's traces (`content_checks` not `off`): the
    /// worker reports `suspicious_content` findings; what they do to the verdict is the parent's call.
    public var checkContent = true
    /// `validate:` rules: restored files whose names match are checked after the pass.
    public var validate: [ValidationRule] = []
    /// Set for a target with `sample.coverage` (and a manifest): the sample prefers entries not
    /// verified within the window, and the report says what this test verified.
    public var coverage: CoverageRequest?
    /// `compare_with_source`: restored files are compared with their live copies after the pass.
    public var liveSource: LiveSource?
    /// When the backup started (Unix time), if the restore point records it (a repository
    /// snapshot): live files older than this must be in the backup.
    public var backupStarted: Double?
    /// Set when a backup tool restored the files itself (a repository target): `archivePath` is the
    /// directory it restored into, which is `scratchPath`, and the worker reads that tree in place
    /// (`ArchiveReader(directory:)`), hashing every file and writing nothing.
    public var restoredTree: RestoredTree?
    /// Set for `restorecheck restore`: `scratchPath` is the directory to restore into, and what is
    /// written there is kept (see `RestoreInto`).
    public var restore: RestoreInto?

    public init(
        archivePath: String, scratchPath: String, manifestPath: String?, sample: SampleSpec,
        seed: UInt64, limits: RestoreLimits
    ) {
        self.archivePath = archivePath
        self.scratchPath = scratchPath
        self.manifestPath = manifestPath
        self.sample = sample
        self.seed = seed
        self.limits = limits
    }
}

/// An archive the worker reads through range requests on a socket the parent answers (the wire
/// format is `CDecoders/ranged_input.c`'s; the parent's end is `ObjectStorage.RangeServer`).
public struct RangedArchive: Sendable, Codable, Equatable {
    /// The socket's descriptor in the worker.
    public var descriptor: Int32
    /// The archive's size in bytes.
    public var size: Int64

    public init(descriptor: Int32, size: Int64) {
        self.descriptor = descriptor
        self.size = size
    }
}

/// What a backup tool was asked to restore into the tree the worker verifies.
public struct RestoredTree: Sendable, Codable, Equatable {
    /// The names the tool was asked for (a sample); nil when it restored the whole snapshot. Only
    /// these can be missing: a name asked for and not restored is `entry_missing`, and manifest
    /// entries outside a sample are not expected in the tree.
    public var requested: [String]?

    public init(requested: [String]?) { self.requested = requested }
}

/// One line the worker writes to stdout: progress while it works, one report at the end.
public enum WorkerEvent: Sendable, Codable {
    case progress(WorkerProgress)
    case report(WorkerReport)
}

/// Where the worker is: enough for a live progress line and for the no-progress watchdog.
public struct WorkerProgress: Sendable, Codable, Hashable {
    public var archiveBytesRead: Int64
    public var bytesRestored: Int64
    public var entries: Int

    package init(archiveBytesRead: Int64, bytesRestored: Int64, entries: Int) {
        self.archiveBytesRead = archiveBytesRead
        self.bytesRestored = bytesRestored
        self.entries = entries
    }
}

/// A file (or entry) that did not pass, with what was expected and what was found.
public struct Finding: Sendable, Codable, Hashable {
    public var path: String
    public var reason: OutcomeReason
    public var detail: String?
    public var expectedSHA256: String?
    public var actualSHA256: String?
    public var expectedSize: Int64?
    public var actualSize: Int64?

    /// `expectedSha256`, not `expectedSHA256`: the contract's snake_case decoder turns
    /// `expected_sha256` into `expectedSha256`, so the acronym spelling never matched and a finding
    /// read back from the history (or a JSON report) lost both digests.
    enum CodingKeys: String, CodingKey {
        case path, reason, detail, expectedSize, actualSize
        case expectedSHA256 = "expectedSha256"
        case actualSHA256 = "actualSha256"
    }

    public init(
        path: String, reason: OutcomeReason, detail: String? = nil, expectedSHA256: String? = nil,
        actualSHA256: String? = nil, expectedSize: Int64? = nil, actualSize: Int64? = nil
    ) {
        self.path = path
        self.reason = reason
        self.detail = detail
        self.expectedSHA256 = expectedSHA256
        self.actualSHA256 = actualSHA256
        self.expectedSize = expectedSize
        self.actualSize = actualSize
    }
}

/// Everything the worker measured. The parent turns it into an `Outcome`; the worker judges only
/// per-file facts (digest equal or not), never the test as a whole.
public struct WorkerReport: Sendable, Codable {
    /// libarchive's format name and filters, e.g. "GNU tar format" and ["gzip"].
    public var format: String = ""
    public var filters: [String] = []
    /// Whether a manifest was parsed and used (false: integrity only).
    public var verifiedAgainstManifest = false
    public var manifestEntries = 0
    /// SHA-256 of the manifest's bytes as the worker read them (evidence of what the test compared with).
    public var manifestSHA256: String?
    /// Set when the manifest could not be parsed (`manifest_invalid`), with file and line.
    public var manifestError: String?

    public var entries = 0
    public var regularFiles = 0
    /// Sum of the declared sizes of all regular files: what a full restore would write.
    public var totalFileBytes: Int64 = 0
    /// Files in the final sample that passed, and their bytes.
    public var filesVerified = 0
    public var bytesVerified: Int64 = 0
    /// Every byte restored, including files later dropped from the reservoir (for throughput).
    public var bytesRestoredAll: Int64 = 0
    public var filesRestoredAll = 0
    /// Regular files skipped because the manifest does not list them.
    public var filesNotInManifest = 0
    public var duplicateNames: [String] = []
    public var linksRecorded = 0
    /// Names that began with `/` and were restored below scratch with it stripped, as tar does.
    public var rootStrippedNames = 0
    public var specialEntriesSkipped = 0
    /// Set when the target has `compare_with_source`.
    public var liveComparison: LiveComparison?

    /// Time spent creating and closing restored files (per-file cost), including `directorySeconds`.
    public var fileOverheadSeconds = 0.0
    /// A sampled pass only: creating and closing a file, measured back to back after the pass (see
    /// `RestorePass+Calibration`); the projection charges the lower of this and the sampled cost.
    public var warmCreateSeconds: Double?
    /// Of that, time spent walking to and creating parent directories, and how many were created: a
    /// sample's files land in scattered directories, a full restore's share them (see RestoreProjection).
    public var directorySeconds = 0.0
    public var directoriesCreated = 0
    /// Directory entries in the archive: the directories a full restore creates.
    public var directoryEntries = 0
    /// Each restored file's data time against its size (see `LinearFit`), for files that were
    /// compressed in the archive, and for files that were not (`RestoreProjection.isIncompressible`).
    public var dataFit = LinearFit()
    public var incompressibleFit = LinearFit()
    /// Declared bytes of the archive's files that were not compressed in it: they cost a copy to
    /// decode, not an inflate (a zip's stored media files), and are projected at their own rate.
    public var incompressibleBytes: Int64 = 0
    /// Bytes decoded while skipping (a compressed stream decodes what it skips): with `skipSeconds`,
    /// the decoder's own rate over most of the archive.
    public var skipDecodedBytes: Int64 = 0
    /// Time the hash/write thread spent on data, the bytes it handled, and per file (`LinearFit`).
    public var sinkSeconds = 0.0
    public var sinkBytes: Int64 = 0
    public var sinkFit = LinearFit()
    /// Time spent reading, writing and hashing restored data (per-byte cost).
    public var dataSeconds = 0.0
    /// Time spent skipping data that was not sampled.
    public var skipSeconds = 0.0
    public var elapsedSeconds = 0.0
    /// Of `elapsedSeconds`, the time spent waiting for object storage's answers to range requests
    /// (a zip's or 7z's sample from a bucket); already left out of `dataSeconds` and `skipSeconds`.
    /// The projection is then of a local read, and the source adds the object's fetch.
    public var storeWaitSeconds = 0.0

    /// Files checked by `validate:` rules, and the time that took (after the pass; not in
    /// `elapsedSeconds`).
    public var filesValidated = 0
    public var validationSeconds = 0.0
    /// Restored, verified files that command rules matched: the parent runs the commands.
    public var commandCandidates: [CommandCandidate] = []

    /// Coverage of the manifest (`WorkerRequest.coverage`); `coverageError` says why it is missing.
    public var coverage: CoverageReport?
    public var coverageError: String?

    /// What a restore (`WorkerRequest.restore`) wrote and kept.
    public var restored: RestoreTally?

    public var findings: [Finding] = []
    /// Findings beyond the ones listed (lists are capped so a broken archive cannot flood the report).
    public var findingsOmitted = 0
    /// A condition that stopped the test early (`archive_corrupt`, `limit_exceeded`, `scratch_error`...).
    public var fatal: Finding?

    public init() {}
}

/// The worker's JSON-lines framing, shared by both sides so they cannot drift.
public enum WorkerWire {
    public static func encode(_ event: WorkerEvent) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = (try? encoder.encode(event)) ?? Data("{}".utf8)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    public static func decode(_ line: Data) throws -> WorkerEvent {
        try JSONDecoder().decode(WorkerEvent.self, from: line)
    }
}
