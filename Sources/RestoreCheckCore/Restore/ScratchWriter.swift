import Glibc

/// Writes restored files below the scratch root with our own code, never libarchive's disk writer.
///
/// Every path is walked component by component from the root's descriptor with `O_NOFOLLOW`, every
/// file is created `O_CREAT | O_EXCL | O_NOFOLLOW` with mode 0600, and nothing but regular files and
/// directories is ever created: no links, devices, FIFOs, owners, modes or xattrs. Since no symlink
/// can exist below the root, no write can leave it. (`archive_write_disk` is not used because it changes
/// the process umask, works relative to the cwd and creates symlinks whose targets it never checks.)
struct ScratchWriter: ~Copyable {
    private let root: Int32
    /// The most recently used parent directory: archives are grouped by directory, so this avoids
    /// re-walking the path for every entry.
    private var cachedParent: (path: ArraySlice<UInt8>, fd: Int32)?
    /// Time spent walking to (and creating) parent directories on a cache miss, and directories made:
    /// the RTO projection charges these per directory, not per file.
    private(set) var directorySeconds = 0.0
    private(set) var directoriesCreated = 0

    struct Failure: Error, Equatable {
        var errno: Int32
        var operation: String
        var path: String
        var message: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
        /// Out of space or quota: the verifier's disk, not the backup.
        var isScratchFull: Bool { errno == ENOSPC || errno == EDQUOT }
        /// RLIMIT_FSIZE: the per-test byte ceiling.
        var isSizeLimit: Bool { errno == EFBIG }
    }

    init(rootPath: String) throws(Failure) {
        let fd = open(rootPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(errno: errno, operation: "open", path: rootPath) }
        root = fd
    }

    deinit {
        if let cachedParent { close(cachedParent.fd) }
        close(root)
    }

    /// Creates `name` for writing, making its parent directories (0700). A file left by an earlier
    /// entry of the same name is replaced (a real restore keeps the last copy).
    mutating func create(_ name: EntryName) throws(Failure) -> Int32 {
        let parent = try parentDirectory(of: name)
        let leaf = Array(Self.leaf(of: name))
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var fd = leaf.withCString { openat(parent, $0, flags, 0o600) }
        if fd < 0, errno == EEXIST {
            _ = leaf.withCString { unlinkat(parent, $0, 0) }
            fd = leaf.withCString { openat(parent, $0, flags, 0o600) }
        }
        guard fd >= 0 else { throw Failure(errno: errno, operation: "create", path: name.description) }
        return fd
    }

    /// Removes a restored file that left the sample.
    mutating func remove(_ name: EntryName) {
        guard let parent = try? parentDirectory(of: name) else { return }
        _ = Array(Self.leaf(of: name)).withCString { unlinkat(parent, $0, 0) }
    }

    /// The last component of a name.
    static func leaf(of name: EntryName) -> ArraySlice<UInt8> {
        let slash = name.bytes.lastIndex(of: UInt8(ascii: "/"))
        return name.bytes[(slash.map { $0 + 1 } ?? 0)...]
    }

    private mutating func parentDirectory(of name: EntryName) throws(Failure) -> Int32 {
        let slash = name.bytes.lastIndex(of: UInt8(ascii: "/"))
        let wanted = name.bytes[..<(slash ?? 0)]
        if let cachedParent, cachedParent.path.elementsEqual(wanted) { return cachedParent.fd }
        let start = Clock.now
        defer { directorySeconds += Clock.seconds(since: start) }
        var current = dup(root)
        guard current >= 0 else { throw Failure(errno: errno, operation: "dup", path: ".") }
        for slice in wanted.split(separator: UInt8(ascii: "/")) {
            let component = Array(slice)
            var next = component.withCString { openat(current, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if next < 0, errno == ENOENT {
                if component.withCString({ mkdirat(current, $0, 0o700) }) == 0 { directoriesCreated += 1 }
                next = component.withCString { openat(current, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            } else if next < 0, errno == ENOTDIR {
                // An earlier entry restored a file where this one needs a directory: like tar, replace it.
                _ = component.withCString { unlinkat(current, $0, 0) }
                _ = component.withCString { mkdirat(current, $0, 0o700) }
                next = component.withCString { openat(current, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            let savedErrno = errno
            close(current)
            guard next >= 0 else { throw Failure(errno: savedErrno, operation: "mkdir", path: name.description) }
            current = next
        }
        if let cachedParent { close(cachedParent.fd) }
        cachedParent = (wanted, current)
        return current
    }
}

extension Array where Element == UInt8 {
    /// Calls `body` with the bytes as a NUL-terminated C string.
    func withCString<R>(_ body: (UnsafePointer<CChar>) -> R) -> R {
        var terminated = self
        terminated.append(0)
        return terminated.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }
}
