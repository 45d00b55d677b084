import Glibc

/// The one home for opening a file by its name below a root directory without following a link on
/// the way: the name is walked one component at a time from the root's descriptor with
/// `O_NOFOLLOW`, so a symlink a backup (or a tool) restored, or one in a live source tree, never
/// leads out of the root. Used to read the restored canary and to compare restored files with the
/// live source. (`ScratchWriter` walks the same way with a cached parent, for the worker's hot path.)
package enum NoFollowOpen {
    /// `root/name`, read-only. `rootMayBeLink`: the configured root itself may be a symlink (a live
    /// source's path as the operator wrote it); scratch roots never are.
    package static func open(_ name: EntryName, below root: String, rootMayBeLink: Bool = false) -> Result<Int32, Errno> {
        var directory: Int32
        switch SystemCalls.open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (rootMayBeLink ? 0 : O_NOFOLLOW)) {
        case .success(let fd): directory = fd
        case .failure(let error): return .failure(error)
        }
        let components = name.bytes.split(separator: UInt8(ascii: "/")).map(Array.init)
        for component in components.dropLast() {
            let next = SystemCalls.openat(directory, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            SystemCalls.close(directory)
            guard case .success(let opened) = next else { return next }
            directory = opened
        }
        defer { SystemCalls.close(directory) }
        return SystemCalls.openat(directory, components.last ?? [], O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
    }
}
