import Glibc

/// Finds the restore point: the newest regular file matching a target's glob.
public enum ArchiveLocator {
    /// A candidate archive and the facts restorecheck judges it by.
    public struct Candidate: Sendable, Hashable {
        public var path: String
        /// Modification time, seconds since the epoch: when the backup was written.
        public var modificationTime: Double
        public var size: Int64
    }

    /// The newest match by modification time (ties broken by the later name), or nil if none.
    /// Directories, symlinked directories and unreadable entries are ignored.
    public static func newest(matching pattern: String) -> Candidate? {
        candidates(matching: pattern).max {
            ($0.modificationTime, $0.path) < ($1.modificationTime, $1.path)
        }
    }

    /// Every regular file matching `pattern` (`glob(3)`, no brace expansion, no tilde).
    public static func candidates(matching pattern: String) -> [Candidate] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        var found: [Candidate] = []
        for index in 0..<Int(result.gl_pathc) {
            guard let pointer = result.gl_pathv[index] else { continue }
            let path = String(cString: pointer)
            var status = stat()
            guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { continue }
            let mtime = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
            found.append(Candidate(path: path, modificationTime: mtime, size: Int64(status.st_size)))
        }
        return found
    }
}
