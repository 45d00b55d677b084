import Glibc

/// Writes a file so that a reader sees the old one or the whole new one, never half of either:
/// `PATH.tmp-PID` written and fsynced, then `rename(2)` over `PATH`. Used for reports and the
/// node_exporter textfile.
public enum AtomicFile {
    /// Why the file could not be written: the path, what was being done, and the system's reason.
    public struct Failure: Error, CustomStringConvertible {
        public var path: String
        public var operation: String
        public var reason: String
        public var description: String { "cannot \(operation) \(path): \(reason)" }
    }

    /// Writes `pieces` one after another as the new content of `path` (mode `mode`, before umask).
    public static func write(_ path: String, pieces: some Sequence<String>, mode: mode_t = 0o644) throws(Failure) {
        try write(path, mode: mode) { emit in
            for piece in pieces {
                var text = piece
                guard text.withUTF8({ emit(UnsafeRawBufferPointer($0)) }) else { return }
            }
        }
    }

    /// Writes `bytes` as the new content of `path`.
    public static func write(_ path: String, bytes: [UInt8], mode: mode_t = 0o644) throws(Failure) {
        try write(path, mode: mode) { emit in _ = bytes.withUnsafeBytes { emit($0) } }
    }

    /// The one implementation: `produce` hands each chunk to `emit`, which returns false once a
    /// write has failed (the producer may stop early).
    private static func write(
        _ path: String, mode: mode_t, produce: ((UnsafeRawBufferPointer) -> Bool) -> Void
    ) throws(Failure) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        switch SystemCalls.fileStatus(directory.isEmpty ? "/" : directory) {
        case .failure(let error): throw Failure(path: directory, operation: "use the directory", reason: error.description)
        case .success(let status) where (status.st_mode & S_IFMT) != S_IFDIR:
            throw Failure(path: directory, operation: "use the directory", reason: Errno(ENOTDIR).description)
        case .success: break
        }
        let temporary = "\(path).tmp-\(getpid())"
        let fd: Int32
        switch SystemCalls.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) {
        case .success(let opened): fd = opened
        case .failure(let error): throw Failure(path: temporary, operation: "create", reason: error.description)
        }
        var offset: Int64 = 0
        var failure: Failure?
        produce { bytes in
            guard failure == nil else { return false }
            if let error = SystemCalls.pwriteAll(fd, bytes, at: offset) {
                failure = Failure(path: temporary, operation: "write", reason: error.description)
                return false
            }
            offset += Int64(bytes.count)
            return true
        }
        if failure == nil, let error = SystemCalls.fsync(fd) { failure = Failure(path: temporary, operation: "write", reason: error.description) }
        SystemCalls.close(fd)
        if failure == nil, let error = SystemCalls.rename(temporary, path) {
            failure = Failure(path: path, operation: "rename \(temporary) to", reason: error.description)
        }
        if let failure {
            _ = SystemCalls.unlink(temporary)
            throw failure
        }
    }
}
