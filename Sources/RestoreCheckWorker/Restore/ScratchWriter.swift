import Glibc
import RestoreCheckCore

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
    /// Whether a file (or link) standing where a directory is needed is replaced, as tar does. A
    /// test's scratch holds only what it wrote; a restore into an existing directory without
    /// `--overwrite` must never remove the operator's files, so there it is off.
    var replacesWhatIsInTheWay = true

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
        switch SystemCalls.open(rootPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) {
        case .success(let fd): root = fd
        case .failure(let error): throw Failure(errno: error.rawValue, operation: "open", path: rootPath)
        }
    }

    deinit {
        if let cachedParent { SystemCalls.close(cachedParent.fd) }
        SystemCalls.close(root)
    }

    private static let directoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC

    /// Creates `name` for writing, making its parent directories (0700). A file left by an earlier
    /// entry of the same name is replaced (a real restore keeps the last copy).
    /// With `partial`, the file is created as `RestoreInto.partialName(partial)` in the same directory,
    /// for `finalize` to rename once its bytes are hashed.
    mutating func create(_ name: EntryName, partial: Int? = nil) throws(Failure) -> Int32 {
        let parent = try parentDirectory(of: name)
        let leaf = partial.map(RestoreInto.partialName) ?? Array(Self.leaf(of: name))
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var opened = SystemCalls.openat(parent, leaf, flags, 0o600)
        if case .failure(let error) = opened, error.rawValue == EEXIST {
            _ = SystemCalls.unlinkat(parent, leaf, 0)
            opened = SystemCalls.openat(parent, leaf, flags, 0o600)
        }
        switch opened {
        case .success(let fd): return fd
        case .failure(let error): throw Failure(errno: error.rawValue, operation: "create", path: name.description)
        }
    }

    /// Opens `name`, a file a backup tool restored below the root, for reading: walked component by
    /// component with `O_NOFOLLOW` like every path here, so a symlink the tool restored is never
    /// followed out of scratch.
    mutating func openRestored(_ name: EntryName) throws(Failure) -> Int32 {
        let parent = try parentDirectory(of: name)
        switch SystemCalls.openat(parent, Array(Self.leaf(of: name)), O_RDONLY | O_NOFOLLOW | O_CLOEXEC) {
        case .success(let fd): return fd
        case .failure(let error): throw Failure(errno: error.rawValue, operation: "open", path: name.description)
        }
    }

    /// Removes a restored file that left the sample.
    mutating func remove(_ name: EntryName) {
        guard let parent = try? parentDirectory(of: name) else { return }
        _ = SystemCalls.unlinkat(parent, Array(Self.leaf(of: name)), 0)
    }

    /// The last component of a name.
    static func leaf(of name: EntryName) -> ArraySlice<UInt8> {
        let slash = name.bytes.lastIndex(of: UInt8(ascii: "/"))
        return name.bytes[(slash.map { $0 + 1 } ?? 0)...]
    }

    /// The descriptor of `name`'s parent directory (cached; do not close), made if missing.
    mutating func parentDirectory(of name: EntryName) throws(Failure) -> Int32 {
        let slash = name.bytes.lastIndex(of: UInt8(ascii: "/"))
        let wanted = name.bytes[..<(slash ?? 0)]
        if let cachedParent, cachedParent.path.elementsEqual(wanted) { return cachedParent.fd }
        let start = Clock.now
        defer { directorySeconds += Clock.seconds(since: start) }
        var current: Int32
        switch SystemCalls.dup(root) {
        case .success(let fd): current = fd
        case .failure(let error): throw Failure(errno: error.rawValue, operation: "dup", path: ".")
        }
        for slice in wanted.split(separator: UInt8(ascii: "/")) {
            let component = Array(slice)
            var next = SystemCalls.openat(current, component, Self.directoryFlags)
            if case .failure(let error) = next, error.rawValue == ENOENT {
                if SystemCalls.mkdirat(current, component, 0o700) == nil { directoriesCreated += 1 }
                next = SystemCalls.openat(current, component, Self.directoryFlags)
            } else if case .failure(let error) = next, error.rawValue == ENOTDIR || error.rawValue == ELOOP, replacesWhatIsInTheWay {
                // An earlier entry restored a file where this one needs a directory: like tar, replace it.
                _ = SystemCalls.unlinkat(current, component, 0)
                _ = SystemCalls.mkdirat(current, component, 0o700)
                next = SystemCalls.openat(current, component, Self.directoryFlags)
            }
            SystemCalls.close(current)
            switch next {
            case .success(let fd): current = fd
            case .failure(let error): throw Failure(errno: error.rawValue, operation: "mkdir", path: name.description)
            }
        }
        if let cachedParent { SystemCalls.close(cachedParent.fd) }
        cachedParent = (wanted, current)
        return current
    }
}
