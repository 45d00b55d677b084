import Glibc

/// A test's private scratch directory: created fresh (mode 0700) under the configured scratch dir,
/// removed afterwards on every path.
///
/// Removal walks the tree with `openat`/`unlinkat`, never follows a symlink (restorecheck never
/// creates one, but a hostile or buggy writer might have) and never leaves the scratch filesystem
/// (`st_dev` is checked), so a tree with a link to `/` is cleaned without touching `/`.
public struct ScratchDirectory: Sendable {
    public let path: String

    /// Prefix of every scratch directory's name; start-up clean-up looks for it.
    public static let namePrefix = "restorecheck-"

    /// A failure to prepare or clean scratch: the verifier's fault (`scratch_error`), not the backup's.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var operation: String
        public var errno: Int32
        public var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
    }

    /// Makes `<base>/restorecheck-<label>-XXXXXX` (mode 0700). `base` is created (0700) if missing.
    public static func create(under base: String, label: String) throws(Failure) -> ScratchDirectory {
        if mkdir(base, 0o700) != 0, errno != EEXIST {
            throw Failure(path: base, operation: "mkdir", errno: errno)
        }
        var template = Array("\(base)/\(namePrefix)\(label)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw Failure(path: base, operation: "mkdtemp in", errno: errno) }
        let path = String(cString: template.map { UInt8(bitPattern: $0) })
        return ScratchDirectory(path: path)
    }

    public init(path: String) { self.path = path }

    /// Removes the directory and everything below it.
    public func remove() throws(Failure) {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return }
            throw Failure(path: path, operation: "lstat", errno: errno)
        }
        guard (status.st_mode & S_IFMT) == S_IFDIR else {
            if unlink(path) != 0 { throw Failure(path: path, operation: "unlink", errno: errno) }
            return
        }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, operation: "open", errno: errno) }
        try Self.empty(directory: fd, device: status.st_dev, path: path)
        if rmdir(path) != 0 { throw Failure(path: path, operation: "rmdir", errno: errno) }
    }

    /// Removes every entry of the open directory `fd` (which it closes), recursing into
    /// subdirectories on the same device only. Names are the directory's raw bytes: a backup of a
    /// Latin-1 share restores names that are not UTF-8, and a name "repaired" into a String would
    /// name nothing on disk.
    private static func empty(directory fd: Int32, device: UInt, path: String) throws(Failure) {
        guard let stream = fdopendir(fd) else {
            close(fd)
            throw Failure(path: path, operation: "fdopendir", errno: errno)
        }
        defer { closedir(stream) }
        var names: [([UInt8], Bool)] = []
        while let entry = readdir(stream) {
            let name = rawName(entry)
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            var status = stat()
            guard name.withCString({ fstatat(fd, $0, &status, AT_SYMLINK_NOFOLLOW) }) == 0 else {
                throw Failure(path: "\(path)/\(display(name))", operation: "fstatat", errno: errno)
            }
            let isDirectory = (status.st_mode & S_IFMT) == S_IFDIR
            if isDirectory && status.st_dev != device {
                // A mount inside scratch (it should never happen): leave it, do not descend.
                throw Failure(path: "\(path)/\(display(name))", operation: "refusing to cross a mount point at", errno: EXDEV)
            }
            names.append((name, isDirectory))
        }
        for (name, isDirectory) in names {
            let childPath = "\(path)/\(display(name))"
            if isDirectory {
                let child = name.withCString { openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                guard child >= 0 else { throw Failure(path: childPath, operation: "open", errno: errno) }
                try empty(directory: child, device: device, path: childPath)
                if name.withCString({ unlinkat(fd, $0, AT_REMOVEDIR) }) != 0 {
                    throw Failure(path: childPath, operation: "rmdir", errno: errno)
                }
            } else if name.withCString({ unlinkat(fd, $0, 0) }) != 0 {
                throw Failure(path: childPath, operation: "unlink", errno: errno)
            }
        }
    }

    /// A directory entry's name as the bytes on disk.
    private static func rawName(_ entry: UnsafeMutablePointer<dirent>) -> [UInt8] {
        withUnsafeBytes(of: entry.pointee.d_name) { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            return Array(bytes.prefix { $0 != 0 })
        }
    }

    /// A name for messages (not UTF-8 shows as U+FFFD).
    private static func display(_ name: [UInt8]) -> String { String(decoding: name, as: UTF8.self) }

    /// Removes scratch directories a previous process left behind (crash, `kill -9`, power loss).
    /// Returns the paths removed; a leftover that cannot be removed is returned in `failures`, so
    /// start-up can say so instead of failing silently at every start.
    @discardableResult
    public static func removeLeftovers(under base: String) -> (removed: [String], failures: [Failure]) {
        guard let stream = opendir(base) else { return ([], []) }
        var found: [String] = []
        while let entry = readdir(stream) {
            // Our own names are ASCII (`restorecheck-<label>-XXXXXX`); anything else is not ours.
            let name = display(rawName(entry))
            if name.hasPrefix(namePrefix) { found.append("\(base)/\(name)") }
        }
        closedir(stream)
        var removed: [String] = []
        var failures: [Failure] = []
        for path in found {
            do {
                try ScratchDirectory(path: path).remove()
                removed.append(path)
            } catch {
                failures.append(error)
            }
        }
        return (removed, failures)
    }
}
