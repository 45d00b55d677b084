/// Why a test did not pass (contract: these strings are API, see README "Outcome model").
///
/// `failed` reasons say the backup would not restore as promised; `error` reasons say restorecheck
/// could not carry out the test and the backup's state is unknown.
public enum OutcomeReason: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case noArchive = "no_archive"
    case rpoExceeded = "rpo_exceeded"
    case rtoExceeded = "rto_exceeded"
    case archiveCorrupt = "archive_corrupt"
    case entryMissing = "entry_missing"
    case checksumMismatch = "checksum_mismatch"
    case sizeMismatch = "size_mismatch"
    /// A restored file looks like ransomware's work: random-like bytes where its name promises text
    /// or a format with a signature, or a ransom note's name or a ransomware extension among the
    /// entry names (`ContentRule`, `RansomwareNames`). The bytes may match the manifest: a manifest
    /// taken after the encryption matches the ciphertext.
    case suspiciousContent = "suspicious_content"
    /// The restore point differs from the previous one the way mass deletion and ransomware make it
    /// differ (`ChangeComparison`): files of an extension gone, many new extensions, a changed share
    /// far above the target's history, or the total size halved. From the manifests; no data read.
    case suspiciousChange = "suspicious_change"
    /// A restored file failed its application check (`validate:`): the SQLite file fails
    /// `integrity_check`, the dump was cut short, the JSON is not well-formed. The detail names the
    /// validator and its message.
    case validationFailed = "validation_failed"
    /// A validation command did not finish within its `timeout` and was killed: nothing was
    /// concluded about the file (status `error`).
    case validationTimeout = "validation_timeout"
    case manifestMissing = "manifest_missing"
    case manifestInvalid = "manifest_invalid"
    case unsafeEntry = "unsafe_entry"
    case encryptedEntry = "encrypted_entry"
    case limitExceeded = "limit_exceeded"
    case timeout = "timeout"
    case workerCrashed = "worker_crashed"
    case scratchError = "scratch_error"
    /// The archive exists but restorecheck may not read it (permissions): the verifier's setup is
    /// wrong, not necessarily the backup. An addition to ARCHITECTURE.md's list, documented in README.
    case archiveUnreadable = "archive_unreadable"
    /// A restic or borg repository could not be opened or listed: missing, unreachable, wrong
    /// password, the tool missing. The tool's message is the detail; nothing was concluded about the
    /// backups in it (status `error`).
    case sourceUnavailable = "source_unavailable"
    /// The archive is in a format, or uses a codec, that restorecheck's reader does not have (RAR,
    /// ISO, a 7-Zip filter newer than the system libarchive): "cannot read this", never "corrupt".
    case unsupportedFormat = "unsupported_format"
    /// restorecheck failed in a way that is about neither the backup nor scratch: the worker could
    /// not confine itself (a refused `setrlimit`), or could not speak its protocol. The detail names it.
    case internalError = "internal_error"
    /// An `s3:` target's test would have read more than is left of its `egress_budget` this month:
    /// deferred, not run. Nothing was concluded about the backup (status `error`).
    case egressBudgetExceeded = "egress_budget_exceeded"
    /// A fleet's job for the target was not started within its start window (no live node serves
    /// its location, or every node that does was busy): not tested, never silence (`NotStarted`).
    case notStarted = "not_started"

    /// Whether this reason means "could not test" (status `error`) rather than "backup is bad".
    ///
    /// `timeout` and `worker_crashed` are errors: they may come from a hostile archive, but equally
    /// from our own host (load, a bug); claiming the customer's backup failed would be a guess.
    public var isVerifierFault: Bool {
        switch self {
        case .timeout, .workerCrashed, .scratchError, .archiveUnreadable, .unsupportedFormat, .internalError, .validationTimeout,
            .sourceUnavailable, .egressBudgetExceeded, .notStarted: true
        default: false
        }
    }

    public static func < (lhs: OutcomeReason, rhs: OutcomeReason) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
