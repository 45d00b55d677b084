import Glibc
import RestoreCheckCore

/// `compare_with_source` in the worker, after the pass: each restored file against its live copy,
/// and the live tree against the archive's names. The live tree is only read: every path is opened
/// one component at a time from the source's root with `O_NOFOLLOW` (a symlink on the way is not
/// followed: the file counts as gone), and the walk never follows a link or leaves the root's
/// filesystem.
///
/// The rule for "unchanged since the backup": the live file has the size the restored file has and the
/// modification time its archive entry records (whole seconds, so within a second), as rsync's quick
/// check decides. It
/// does not depend on when the backup started or ended, so a file written while the backup ran is
/// never compared with content it did not have yet.
struct LiveSourceComparison {
    let source: LiveSource
    let scratch: String
    let excludes: [EntryGlob]

    init(source: LiveSource, scratch: String) {
        self.source = source
        self.scratch = scratch
        self.excludes = source.exclude.map(EntryGlob.init)
    }

    enum Verdict: Equatable {
        case identical
        /// The first differing byte's offset.
        case differs(at: Int64)
        case changed
        case gone
        /// The restored file could not be read back from scratch.
        case unreadable(String)
    }

    func compare(_ name: EntryName, entryTime: Int64?, size: Int64) -> Verdict {
        guard case .success(let live) = NoFollowOpen.open(name, below: source.path, rootMayBeLink: true) else { return .gone }
        defer { SystemCalls.close(live) }
        guard case .success(let status) = SystemCalls.fstat(live), (status.st_mode & S_IFMT) == S_IFREG else { return .gone }
        // Archives keep whole seconds, truncated (GNU tar) or rounded (restic's tar writer): within a
        // second of the live time is the same time.
        let liveTime = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
        guard let entryTime, Int64(status.st_size) == size, abs(Double(entryTime) - liveTime) < 1 else { return .changed }
        let restored: Int32
        switch NoFollowOpen.open(name, below: scratch) {
        case .success(let fd): restored = fd
        case .failure(let error): return .unreadable("\(error)")
        }
        defer { SystemCalls.close(restored) }
        return Self.compareContents(restored, live)
    }

    /// Byte for byte, 1 MiB at a time.
    static func compareContents(_ first: Int32, _ second: Int32) -> Verdict {
        let chunk = 1 << 20
        let a = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer {
            a.deallocate()
            b.deallocate()
        }
        var offset: Int64 = 0
        while true {
            guard case .success(let countA) = readFully(first, a), case .success(let countB) = readFully(second, b) else {
                return .unreadable("read failed")
            }
            let common = min(countA, countB)
            if !SystemCalls.bytesEqual(a.baseAddress!, b.baseAddress!, count: common) {
                let index = (0..<common).first { a[$0] != b[$0] } ?? common
                return .differs(at: offset + Int64(index))
            }
            if countA != countB { return .differs(at: offset + Int64(common)) }
            if countA == 0 { return .identical }
            offset += Int64(countA)
        }
    }

    private static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
        var filled = 0
        while filled < buffer.count {
            switch SystemCalls.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])) {
            case .success(0): return .success(filled)
            case .success(let count): filled += count
            case .failure(let error): return .failure(error)
            }
        }
        return .success(filled)
    }

    /// Every regular file of the live tree whose modification and change times are before `start`
    /// (it existed, as it is, when the backup started) and that no exclude matches, by name.
    /// Returns how many it visited.
    func walk(olderThan start: Double, visit: (EntryName) -> Void) -> Int {
        guard case .success(let root) = SystemCalls.open(source.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC),
            case .success(let status) = SystemCalls.fstat(root)
        else { return 0 }
        var count = 0
        walk(directory: root, prefix: [], device: status.st_dev, start: start, count: &count, visit: visit)
        return count
    }

    private func walk(directory fd: Int32, prefix: [UInt8], device: UInt, start: Double, count: inout Int, visit: (EntryName) -> Void) {
        defer { SystemCalls.close(fd) }
        guard case .success(let names) = SystemCalls.dup(fd).flatMap(SystemCalls.directoryNames) else { return }
        for name in names {
            guard case .success(let status) = SystemCalls.lstatat(fd, name) else { continue }
            let path = prefix.isEmpty ? name : prefix + [UInt8(ascii: "/")] + name
            switch status.st_mode & S_IFMT {
            case S_IFDIR where status.st_dev == device:
                if case .success(let child) = SystemCalls.openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) {
                    walk(directory: child, prefix: path, device: device, start: start, count: &count, visit: visit)
                }
            case S_IFREG:
                let modified = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
                let changed = Double(status.st_ctim.tv_sec) + Double(status.st_ctim.tv_nsec) / 1e9
                guard modified < start, changed < start, case .success(let entry) = EntryName.validate(path),
                    !excludes.contains(where: { $0.matches(entry) })
                else { continue }
                count += 1
                visit(entry)
            default:
                continue
            }
        }
    }
}
