import ArchiveKit
import Glibc
import RestoreCheckCore

/// What `restorecheck restore` keeps of an entry beyond its bytes, as a careful `tar -x` does.
struct EntryMetadata: Equatable {
    var permissions: UInt32
    var modificationTime: Int64?
    var owner: Int64
    var group: Int64
    var extendedAttributes: [ExtendedAttribute]

    init(_ entry: ArchiveEntry) {
        permissions = entry.permissions
        modificationTime = entry.modificationTime
        owner = entry.owner
        group = entry.group
        extendedAttributes = entry.extendedAttributes
    }
}

/// The writes only a restore to keep makes (`RestoreInto`): final names, directories, links and
/// metadata. Every one goes through `parentDirectory`'s no-follow walk from the root, so none can
/// leave it, and links are made only after the pass (`RestoreKeeper.finish`), when no more file
/// is written below the root.
extension ScratchWriter {
    /// How a name was placed.
    enum Placed: Equatable {
        case placed
        /// The name already existed and may not be replaced: left as it was.
        case existing
    }

    /// Renames the partial file `id` to `name` (with `suffix` appended to its last component, for a
    /// mismatch kept aside). Without `replace`, an existing name is kept and the partial removed.
    mutating func finalize(partial id: Int, as name: EntryName, suffix: String = "", replace: Bool) throws(Failure) -> Placed {
        let parent = try parentDirectory(of: name)
        let partial = RestoreInto.partialName(id)
        let leaf = Array(Self.leaf(of: name)) + Array(suffix.utf8)
        guard let error = SystemCalls.renameat(parent, partial, parent, leaf, replace: replace) else { return .placed }
        if error.rawValue == EEXIST {
            _ = SystemCalls.unlinkat(parent, partial, 0)
            return .existing
        }
        _ = SystemCalls.unlinkat(parent, partial, 0)
        throw Failure(errno: error.rawValue, operation: "rename", path: name.description + suffix)
    }

    /// Removes the partial file `id` in `name`'s directory (a copy superseded or cut short).
    mutating func removePartial(_ id: Int, of name: EntryName) {
        guard let parent = try? parentDirectory(of: name) else { return }
        _ = SystemCalls.unlinkat(parent, RestoreInto.partialName(id), 0)
    }

    /// Makes the directory `name` (0700 until `apply` gives it its mode at the end).
    mutating func makeDirectory(_ name: EntryName) throws(Failure) {
        let parent = try parentDirectory(of: name)
        let leaf = Array(Self.leaf(of: name))
        guard let error = SystemCalls.mkdirat(parent, leaf, 0o700), error.rawValue != EEXIST else { return }
        throw Failure(errno: error.rawValue, operation: "mkdir", path: name.description)
    }

    /// Creates the symlink `name` → `target` (the target is data: never resolved or checked here).
    mutating func symlink(_ name: EntryName, to target: [UInt8], replace: Bool) throws(Failure) -> Placed {
        let parent = try parentDirectory(of: name)
        let leaf = Array(Self.leaf(of: name))
        var error = SystemCalls.symlinkat(target, parent, leaf)
        if error?.rawValue == EEXIST, replace, Self.isReplaceable(parent, leaf) {
            _ = SystemCalls.unlinkat(parent, leaf, 0)
            error = SystemCalls.symlinkat(target, parent, leaf)
        }
        guard let error else { return .placed }
        if error.rawValue == EEXIST { return .existing }
        throw Failure(errno: error.rawValue, operation: "symlink", path: name.description)
    }

    /// Makes `name` a hard link to the restored file `target`.
    mutating func hardLink(_ name: EntryName, to target: EntryName, replace: Bool) throws(Failure) -> Placed {
        let targetParent = try SystemCalls.dup(parentDirectory(of: target)).get(or: "dup", target)
        defer { SystemCalls.close(targetParent) }
        let parent = try parentDirectory(of: name)
        let leaf = Array(Self.leaf(of: name))
        var error = SystemCalls.linkat(targetParent, Array(Self.leaf(of: target)), parent, leaf)
        if error?.rawValue == EEXIST, replace, Self.isReplaceable(parent, leaf) {
            _ = SystemCalls.unlinkat(parent, leaf, 0)
            error = SystemCalls.linkat(targetParent, Array(Self.leaf(of: target)), parent, leaf)
        }
        guard let error else { return .placed }
        if error.rawValue == EEXIST { return .existing }
        throw Failure(errno: error.rawValue, operation: "link", path: name.description)
    }

    /// Gives `name` the entry's owner (when `owners`), mode and modification time; nil when all
    /// applied, else what did not. Owner first: `chown` clears set-id bits. Set-id bits are kept
    /// only with owners, as tar keeps them only when it restores owners.
    mutating func apply(_ metadata: EntryMetadata, to name: EntryName, owners: Bool, isSymlink: Bool = false) -> String? {
        let parent: Int32
        do { parent = try parentDirectory(of: name) } catch { return error.message }
        let leaf = Array(Self.leaf(of: name))
        var problems: [String] = []
        if owners, let error = SystemCalls.lchownat(parent, leaf, uid_t(truncatingIfNeeded: metadata.owner), gid_t(truncatingIfNeeded: metadata.group)) {
            problems.append("owner \(metadata.owner):\(metadata.group): \(error)")
        }
        if !isSymlink {
            let mode = mode_t(metadata.permissions & (owners ? 0o7777 : 0o1777))
            if let error = SystemCalls.fchmodat(parent, leaf, mode) { problems.append("mode \(String(mode, radix: 8)): \(error)") }
        }
        if let time = metadata.modificationTime, let error = SystemCalls.setModificationTime(parent, leaf, seconds: time) {
            problems.append("time: \(error)")
        }
        return problems.isEmpty ? nil : "\(name): " + problems.joined(separator: "; ")
    }

    /// Sets `attributes` on the file or directory `name` (opened without following a link); returns
    /// how many were set and the first problem.
    mutating func setExtendedAttributes(_ attributes: [ExtendedAttribute], on name: EntryName) -> (set: Int, problem: String?) {
        let parent: Int32
        do { parent = try parentDirectory(of: name) } catch { return (0, error.message) }
        guard case .success(let fd) = SystemCalls.openat(parent, Array(Self.leaf(of: name)), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        else { return (0, "\(name): cannot open to set extended attributes") }
        defer { SystemCalls.close(fd) }
        var set = 0
        var problem: String?
        for attribute in attributes {
            if let error = SystemCalls.fsetxattr(fd, attribute.name, attribute.value) {
                problem = problem ?? "\(name): xattr \(String(decoding: attribute.name, as: UTF8.self)): \(error)"
            } else {
                set += 1
            }
        }
        return (set, problem)
    }

    /// A name `--overwrite` may replace with a link: anything but a directory.
    private static func isReplaceable(_ parent: Int32, _ leaf: [UInt8]) -> Bool {
        guard case .success(let status) = SystemCalls.lstatat(parent, leaf) else { return false }
        return status.st_mode & S_IFMT != S_IFDIR
    }
}

extension Result where Failure == Errno {
    /// The value, or a `ScratchWriter.Failure` naming `operation` and `name`.
    func get(or operation: String, _ name: EntryName) throws(ScratchWriter.Failure) -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let error): throw ScratchWriter.Failure(errno: error.rawValue, operation: operation, path: name.description)
        }
    }
}
