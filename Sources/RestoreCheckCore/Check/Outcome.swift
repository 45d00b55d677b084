import Foundation

/// `passed` | `failed` | `error` (contract). `failed`: the backup would not restore as promised.
/// `error`: restorecheck could not carry out the test; the backup's state is unknown.
public enum OutcomeStatus: String, Sendable, Codable, Hashable {
    case passed, failed, error
}

/// How the restored bytes were checked.
public enum Verification: String, Sendable, Codable, Hashable {
    /// Every sampled byte hashed and compared with the manifest taken at backup time.
    case manifest
    /// No manifest: bytes decoded, sizes and the format's own CRCs checked, content not compared.
    case integrityOnly = "integrity_only"
    /// Nothing was restored (no archive, or the test stopped before the first file).
    case none
}

/// The result of one restore test of one target (contract: the JSON field names are API).
public struct Outcome: Sendable, Codable {
    public var target: String
    public var tenant: String
    public var status: OutcomeStatus
    public var reasons: [OutcomeReason]
    /// One line for people: what went wrong, or how much was verified.
    public var summary: String

    public var archive: String?
    public var archiveBytes: Int64?
    public var archiveFormat: String?
    public var manifest: String?
    /// SHA-256 of the manifest file the sample was verified against (hex), as the worker read it.
    public var manifestSha256: String?
    public var verification: Verification
    /// The restore point's time: the archive's modification time, or, for a target with a canary,
    /// the capture time the restored canary proves (`restorePointSource` says which).
    public var backupTimestamp: Date?
    /// `archive_mtime`, `snapshot_time`, `object_last_modified` or `canary`.
    public var restorePointSource: String?
    /// The archive's modification time, whichever decides the restore point.
    public var archiveModifiedTimestamp: Date?
    public var backupAgeSeconds: Double?

    public var started: Date
    public var finished: Date
    /// Wall time of the restore worker, from spawn to report.
    public var restoreSeconds: Double?
    /// Measured costs extrapolated to restoring every file of the archive (see README "RTO").
    public var projectedFullRestoreSeconds: Double?
    public var sample: String
    public var seed: UInt64
    public var filesVerified: Int
    public var bytesRestored: Int64
    public var filesInArchive: Int?
    public var bytesInArchive: Int64?

    /// Files checked by `validate:` rules and the time the checks took (part of `restoreSeconds`
    /// and of the projection), for targets with rules.
    public var filesValidated: Int?
    public var validationSeconds: Double?

    /// How much of the newest manifest is known to restore, for a target with `sample.coverage`.
    public var coverage: CoverageSummary?
    /// What the test read from object storage (an `s3:` target): the egress it cost.
    public var sourceRead: SourceRead?

    public var rpoSeconds: Double
    public var rpoMet: Bool?
    public var rtoSeconds: Double
    public var rtoMet: Bool?

    /// Files and entries that did not pass (capped; `findingsOmitted` counts the rest).
    public var findings: [Finding]
    public var findingsOmitted: Int
    /// Observations that are not failures: duplicates, files outside the manifest, links skipped.
    public var notes: [String]

    /// The status the reasons imply: no reason → `passed`; any fact about the backup → `failed`;
    /// only verifier faults → `error`.
    ///
    /// A definite finding outranks a verifier fault in the same run: a checksum mismatch (or a backup
    /// older than its RPO) is reported as `failed` even if the worker later timed out, because it is a
    /// fact about the backup whatever else went wrong.
    public static func status(for reasons: [OutcomeReason]) -> OutcomeStatus {
        if reasons.isEmpty { return .passed }
        return reasons.allSatisfy(\.isVerifierFault) ? .error : .failed
    }

    /// JSON with snake_case keys and ISO 8601 times, shared by `run --json`, `status` and the store.
    public static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }

    public static func jsonDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
