import ArchiveKit
import RestoreCheckCore

extension OutcomeReason {
    /// What a libarchive error means for the outcome, from ArchiveKit's code (never the message), for
    /// the outer archive and for what a validator decodes alike: running out of memory under the
    /// worker's `RLIMIT_AS` (a hostile xz/7z header can demand a 4 GiB dictionary) is
    /// `limit_exceeded`; a codec or format the reader lacks is `unsupported_format` (ours to fix, not
    /// the backup's); encryption is `encrypted_entry`; only a verdict on the data itself is `otherwise`
    /// (`archive_corrupt` for the archive, `validation_failed` for a file in it).
    init(archiveError error: ArchiveError, otherwise: OutcomeReason) {
        switch error.code {
        case .outOfMemory: self = .limitExceeded
        case .unsupported: self = .unsupportedFormat
        case .encrypted: self = .encryptedEntry
        default: self = otherwise
        }
    }
}
