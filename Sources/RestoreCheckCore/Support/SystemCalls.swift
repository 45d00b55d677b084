import CSystemShim
import Glibc

/// An `errno` value, kept with the call that set it (the global is overwritten by the next call).
package struct Errno: Error, Equatable, CustomStringConvertible {
    package let rawValue: Int32
    init(_ rawValue: Int32) { self.rawValue = rawValue }
    /// The current thread's `errno`.
    static var current: Errno { Errno(errno) }
    package var description: String { String(cString: strerror(rawValue)) }
}

/// The file-system calls of restorecheck's restore and clean-up (and the few other libc calls Core
/// makes: `fnmatch`, `memcmp`, `geteuid`), in one thin layer, as
/// swift-system's `Syscalls.swift` does: each wrapper names the C function it calls, takes names as
/// raw bytes (a restored name need not be UTF-8), retries `EINTR` where the call can be
/// interrupted, and returns the `errno` as a typed error rather than leaving it in a global.
///
/// Process spawning stays in `SpawnedChild` (posix_spawn, poll, waitpid: one job, one file), and
/// libarchive's and libcrypto's calls in their own wrappers (`ArchiveKit`, `SHA256`).
package enum SystemCalls {
    /// `openat(directory, name, flags, mode)`.
    package static func openat(_ directory: Int32, _ name: [UInt8], _ flags: Int32, _ mode: mode_t = 0) -> Result<Int32, Errno> {
        let fd = name.withCString { Glibc.openat(directory, $0, flags, mode) }
        return fd >= 0 ? .success(fd) : .failure(.current)
    }

    /// `open(path, flags, mode)`.
    package static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Result<Int32, Errno> {
        let fd = Glibc.open(path, flags, mode)
        return fd >= 0 ? .success(fd) : .failure(.current)
    }

    /// `mkdirat(directory, name, mode)`.
    package static func mkdirat(_ directory: Int32, _ name: [UInt8], _ mode: mode_t) -> Errno? {
        name.withCString { Glibc.mkdirat(directory, $0, mode) } == 0 ? nil : .current
    }

    /// `unlinkat(directory, name, flags)` (`AT_REMOVEDIR` for a directory).
    package static func unlinkat(_ directory: Int32, _ name: [UInt8], _ flags: Int32) -> Errno? {
        name.withCString { Glibc.unlinkat(directory, $0, flags) } == 0 ? nil : .current
    }

    /// `fstatat(directory, name, &status, AT_SYMLINK_NOFOLLOW)`: never follows a link.
    package static func lstatat(_ directory: Int32, _ name: [UInt8]) -> Result<stat, Errno> {
        var status = stat()
        return name.withCString { fstatat(directory, $0, &status, AT_SYMLINK_NOFOLLOW) } == 0 ? .success(status) : .failure(.current)
    }

    /// `fchownat(directory, name, owner, group, AT_SYMLINK_NOFOLLOW)`: a link's owner, never its target's.
    package static func lchownat(_ directory: Int32, _ name: [UInt8], _ owner: uid_t, _ group: gid_t) -> Errno? {
        name.withCString { fchownat(directory, $0, owner, group, AT_SYMLINK_NOFOLLOW) } == 0 ? nil : .current
    }

    /// `rc_rename_at`: `renameat2(..., RENAME_NOREPLACE)`, or `renameat` when `replace`.
    package static func renameat(_ from: Int32, _ oldName: [UInt8], _ to: Int32, _ newName: [UInt8], replace: Bool) -> Errno? {
        oldName.withCString { old in newName.withCString { new in rc_rename_at(from, old, to, new, replace ? 1 : 0) } } == 0 ? nil : .current
    }

    /// `fchmodat(directory, name, mode, 0)` (Linux has no `AT_SYMLINK_NOFOLLOW` here; callers pass
    /// names they created as files or directories, never links).
    package static func fchmodat(_ directory: Int32, _ name: [UInt8], _ mode: mode_t) -> Errno? {
        name.withCString { Glibc.fchmodat(directory, $0, mode, 0) } == 0 ? nil : .current
    }

    /// `utimensat(directory, name, {mtime, mtime}, AT_SYMLINK_NOFOLLOW)`: a link's own time.
    package static func setModificationTime(_ directory: Int32, _ name: [UInt8], seconds: Int64) -> Errno? {
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: 0), timespec(tv_sec: Int(seconds), tv_nsec: 0)]
        return name.withCString { utimensat(directory, $0, &times, AT_SYMLINK_NOFOLLOW) } == 0 ? nil : .current
    }

    /// `symlinkat(target, directory, name)`.
    package static func symlinkat(_ target: [UInt8], _ directory: Int32, _ name: [UInt8]) -> Errno? {
        target.withCString { linkTarget in name.withCString { Glibc.symlinkat(linkTarget, directory, $0) } } == 0 ? nil : .current
    }

    /// `linkat(fromDirectory, from, toDirectory, to, 0)`: never follows a link at `from`.
    package static func linkat(_ fromDirectory: Int32, _ from: [UInt8], _ toDirectory: Int32, _ to: [UInt8]) -> Errno? {
        from.withCString { old in to.withCString { new in Glibc.linkat(fromDirectory, old, toDirectory, new, 0) } } == 0 ? nil : .current
    }

    /// `fsetxattr(fd, name, value, size, 0)` (through `rc_fsetxattr`).
    package static func fsetxattr(_ fd: Int32, _ name: [UInt8], _ value: [UInt8]) -> Errno? {
        name.withCString { key in value.withUnsafeBytes { rc_fsetxattr(fd, key, $0.baseAddress, UInt($0.count)) } } == 0 ? nil : .current
    }

    /// `fchown(fd, owner, group)`.
    static func fchown(_ fd: Int32, _ owner: uid_t, _ group: gid_t) -> Errno? {
        Glibc.fchown(fd, owner, group) == 0 ? nil : .current
    }

    /// `fnmatch(pattern, name, 0) == 0`: shell glob matching (`*`, `?`, `[...]`).
    static func globMatches(_ pattern: String, _ name: String) -> Bool { fnmatch(pattern, name, 0) == 0 }

    /// `fnmatch(pattern, name, FNM_PATHNAME) == 0`: `*` and `?` do not match `/` (object keys).
    static func keyGlobMatches(_ pattern: String, _ name: String) -> Bool { fnmatch(pattern, name, FNM_PATHNAME) == 0 }

    /// `pipe2(O_CLOEXEC)`: (read end, write end), neither inherited by a spawned child unless passed.
    static func pipe() -> Result<(read: Int32, write: Int32), Errno> {
        var fds: [Int32] = [-1, -1]
        return rc_pipe_cloexec(&fds) == 0 ? .success((fds[0], fds[1])) : .failure(.current)
    }

    /// `socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC)`: two connected ends.
    static func socketPair() -> Result<(Int32, Int32), Errno> {
        var fds: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        return socketpair(AF_UNIX, type, 0, &fds) == 0 ? .success((fds[0], fds[1])) : .failure(.current)
    }

    /// `memcmp(a, b, count) == 0`.
    package static func bytesEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Bool { memcmp(a, b, count) == 0 }

    /// `geteuid() == 0`.
    static var isRoot: Bool { geteuid() == 0 }

    /// `lstat(path, &status)`.
    static func lstat(_ path: String) -> Result<stat, Errno> {
        var status = stat()
        return Glibc.lstat(path, &status) == 0 ? .success(status) : .failure(.current)
    }

    /// `fstat(fd, &status)`.
    package static func fstat(_ fd: Int32) -> Result<stat, Errno> {
        var status = stat()
        return Glibc.fstat(fd, &status) == 0 ? .success(status) : .failure(.current)
    }

    /// `dup(fd)`.
    package static func dup(_ fd: Int32) -> Result<Int32, Errno> {
        let copy = Glibc.dup(fd)
        return copy >= 0 ? .success(copy) : .failure(.current)
    }

    /// `close(fd)`. Its result is not acted on: on Linux the descriptor is gone either way.
    package static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// `pwrite` until every byte is written at `offset`, retrying `EINTR` and short writes.
    package static func pwriteAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) -> Errno? {
        var done = 0
        while done < bytes.count {
            let written = Glibc.pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if written < 0 {
                if errno == EINTR { continue }
                return .current
            }
            done += written
        }
        return nil
    }

    /// `rename(from, to)`: atomically replaces `to` on the same file system.
    static func rename(_ from: String, _ to: String) -> Errno? {
        Glibc.rename(from, to) == 0 ? nil : .current
    }

    /// `fsync(fd)`.
    static func fsync(_ fd: Int32) -> Errno? {
        Glibc.fsync(fd) == 0 ? nil : .current
    }

    /// `fstatat(AT_FDCWD, path, &status, 0)`: `stat(path)`, following symlinks, unlike `lstat`.
    package static func fileStatus(_ path: String) -> Result<stat, Errno> {
        var status = stat()
        return fstatat(AT_FDCWD, path, &status, 0) == 0 ? .success(status) : .failure(.current)
    }

    /// `setpriority(PRIO_PROCESS, 0, nice)`: on Linux the nice value is per thread, and `0` means the
    /// calling thread only.
    static func setCurrentThreadNice(_ nice: Int32) -> Errno? {
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice) == 0 ? nil : .current
    }

    /// `ftruncate(fd, size)`.
    package static func ftruncate(_ fd: Int32, _ size: Int64) -> Errno? {
        Glibc.ftruncate(fd, off_t(size)) == 0 ? nil : .current
    }

    /// `read(fd, buffer, count)`, retrying `EINTR`; 0 at the end of the file.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return .success(count) }
            if errno != EINTR { return .failure(.current) }
        }
    }

    /// The names in the open directory `fd` as raw bytes, without `.` and `..` (`fdopendir`,
    /// `readdir`, `closedir`). Takes ownership of `fd`: it is closed whatever happens.
    package static func directoryNames(_ fd: Int32) -> Result<[[UInt8]], Errno> {
        guard let stream = fdopendir(fd) else {
            let failure = Errno.current
            Glibc.close(fd)
            return .failure(failure)
        }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.bindMemory(to: UInt8.self).prefix { $0 != 0 }) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        return .success(names)
    }

    /// `mkdir(path, mode)`.
    static func mkdir(_ path: String, _ mode: mode_t) -> Errno? {
        Glibc.mkdir(path, mode) == 0 ? nil : .current
    }

    /// `mkdtemp(template)`: `template` ends in `XXXXXX`; returns the directory made.
    static func mkdtemp(_ template: String) -> Result<String, Errno> {
        var bytes = Array(template.utf8CString)
        guard bytes.withUnsafeMutableBufferPointer({ Glibc.mkdtemp($0.baseAddress!) }) != nil else { return .failure(.current) }
        return .success(String(cString: bytes.map { UInt8(bitPattern: $0) }))
    }

    /// `rmdir(path)` / `unlink(path)`.
    static func rmdir(_ path: String) -> Errno? { Glibc.rmdir(path) == 0 ? nil : .current }
    static func unlink(_ path: String) -> Errno? { Glibc.unlink(path) == 0 ? nil : .current }
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
