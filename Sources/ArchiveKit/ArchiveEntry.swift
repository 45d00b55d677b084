import Glibc

/// One archive header, copied out of libarchive into a value (libarchive reuses its entry object
/// on the next `archive_read_next_header`, so nothing here may point into it).
///
/// Names are bytes: archives carry whatever bytes the source filesystem had, and a name that is not
/// valid UTF-8 must still be validated and restored exactly.
public struct ArchiveEntry: Sendable, Hashable {
    /// The kind of filesystem object the header describes.
    public enum Kind: Sendable, Hashable {
        case regular, directory, symlink, hardlink
        case characterDevice, blockDevice, fifo, socket
        /// A type code libarchive reported that we do not know.
        case unknown(UInt32)
    }

    /// `archive_entry_pathname` as raw bytes, without a terminating NUL.
    public var pathname: [UInt8]
    public var kind: Kind
    /// The declared size in bytes (`archive_entry_size`), or nil when the header does not declare one
    /// (streamed zip entries with a trailing data descriptor).
    public var declaredSize: Int64?
    /// Modification time in seconds since the epoch, when the header carries one.
    public var modificationTime: Int64?
    /// The link target for symlinks and hardlinks, as bytes.
    public var linkTarget: [UInt8]?
    /// Whether libarchive reports the entry's data (or metadata) as encrypted.
    public var isEncrypted: Bool
    /// Whether the entry is stored sparse (holes are delivered as gaps in block offsets).
    public var isSparse: Bool
    /// Permission bits as stored. A test only records them; `restorecheck restore` applies them.
    public var permissions: UInt32
    /// The header's link count (`archive_entry_nlink`); cpio carries it, and a newc hard-link group's
    /// early members are size-0 headers with a count above 1 whose data comes with a later member.
    public var linkCount: UInt32
    /// Numeric owner and group as stored (`archive_entry_uid`/`gid`); only `restorecheck restore`
    /// run as root applies them.
    public var owner: Int64 = 0
    public var group: Int64 = 0
    /// Extended attributes as stored (pax `SCHILY.xattr.*`, `LIBARCHIVE.xattr.*`): names and values
    /// are bytes. Empty for almost every archive.
    public var extendedAttributes: [ExtendedAttribute] = []
    /// Whether the header carries POSIX or NFSv4 ACLs (restorecheck reports them, never applies them).
    public var hasACL = false

    public init(
        pathname: [UInt8], kind: Kind, declaredSize: Int64?, modificationTime: Int64? = nil,
        linkTarget: [UInt8]? = nil, isEncrypted: Bool = false, isSparse: Bool = false,
        permissions: UInt32 = 0o644, linkCount: UInt32 = 1
    ) {
        self.pathname = pathname
        self.kind = kind
        self.declaredSize = declaredSize
        self.modificationTime = modificationTime
        self.linkTarget = linkTarget
        self.isEncrypted = isEncrypted
        self.isSparse = isSparse
        self.permissions = permissions
        self.linkCount = linkCount
    }

    /// The name for people: invalid UTF-8 shows as U+FFFD.
    public var displayName: String { String(decoding: pathname, as: UTF8.self) }
}

/// One extended attribute of an entry.
public struct ExtendedAttribute: Sendable, Hashable {
    public var name: [UInt8]
    public var value: [UInt8]

    public init(name: [UInt8], value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

extension ArchiveEntry.Kind {
    /// Maps `archive_entry_filetype`'s `AE_IF*` value (the same numbers as `S_IF*`).
    init(fileType: UInt32) {
        switch fileType & UInt32(S_IFMT) {
        case UInt32(S_IFREG): self = .regular
        case UInt32(S_IFDIR): self = .directory
        case UInt32(S_IFLNK): self = .symlink
        case UInt32(S_IFCHR): self = .characterDevice
        case UInt32(S_IFBLK): self = .blockDevice
        case UInt32(S_IFIFO): self = .fifo
        case UInt32(S_IFSOCK): self = .socket
        default: self = .unknown(fileType)
        }
    }
}
