import CArchive

/// A failure reported by libarchive, with the message libarchive gave.
///
/// Shaped after swift-nio's `FileSystemError`: an opaque code a caller can switch on, the library's
/// own message (which names the broken header, the bad CRC...), and the errno where libarchive set one.
public struct ArchiveError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is, independent of the message wording.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Value: Sendable, Hashable {
            case openFailed, corrupt, entryFailed, unsupported, encrypted, outOfMemory
        }
        let value: Value

        /// The archive could not be opened (missing, unreadable, not an archive we read).
        public static let openFailed = Code(value: .openFailed)
        /// The stream is damaged or truncated: `ARCHIVE_FATAL`; nothing after this point can be read.
        public static let corrupt = Code(value: .corrupt)
        /// This entry could not be read (`ARCHIVE_FAILED`, e.g. a CRC error); later entries may be fine.
        public static let entryFailed = Code(value: .entryFailed)
        /// A feature of the archive the reader does not support (a codec, a format that is not
        /// enabled): the reader's limit, not damage.
        public static let unsupported = Code(value: .unsupported)
        /// An allocation failed (libarchive set `ENOMEM`): under the worker's `RLIMIT_AS`, a limit.
        public static let outOfMemory = Code(value: .outOfMemory)
        /// The entry's data is encrypted.
        public static let encrypted = Code(value: .encrypted)

        public var description: String {
            switch value {
            case .openFailed: "open failed"
            case .corrupt: "corrupt"
            case .entryFailed: "entry failed"
            case .unsupported: "unsupported"
            case .encrypted: "encrypted"
            case .outOfMemory: "out of memory"
            }
        }
    }

    public var code: Code
    /// libarchive's `archive_error_string`, or a description of our own.
    public var message: String
    /// libarchive's `archive_errno` (0 when it set none).
    public var errno: Int32
    /// Whether libarchive returned `ARCHIVE_FATAL`: the stream is over and nothing after this point
    /// can be read, whatever the code says the cause was.
    public var isFatal: Bool

    public init(code: Code, message: String, errno: Int32 = 0, isFatal: Bool = false) {
        self.code = code
        self.message = message
        self.errno = errno
        self.isFatal = isFatal || code == .corrupt
    }

    public var description: String { "\(code): \(message)" }
}
