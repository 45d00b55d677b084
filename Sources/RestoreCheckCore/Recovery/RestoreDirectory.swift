import Foundation
import Glibc

/// The directory `restorecheck restore --to DIR` writes into: made (0700) when absent, refused when
/// it is not a directory, or not empty unless `--into-existing`; after an interruption, the partial
/// files an unfinished entry left (`RestoreInto.partialPrefix`) are removed, walking without
/// following links and without leaving its file system, as scratch is removed.
public struct RestoreDirectory: Sendable {
    /// Absolute.
    public let path: String
    /// Whether `prepare` made it (then a restore that wrote nothing removes it again).
    public private(set) var made = false

    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public static func prepare(_ given: String, intoExisting: Bool) throws(Problem) -> RestoreDirectory {
        let path = given.hasPrefix("/") ? given : FileManager.default.currentDirectoryPath + "/" + given
        switch SystemCalls.lstat(path) {
        case .failure(let error) where error.rawValue == ENOENT:
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw Problem(description: "cannot make \(path): \(error.localizedDescription)")
            }
            var directory = RestoreDirectory(path: path)
            directory.made = true
            return directory
        case .failure(let error):
            throw Problem(description: "cannot use \(path): \(error)")
        case .success(let status):
            guard status.st_mode & S_IFMT == S_IFDIR else {
                throw Problem(description: "\(path) is not a directory (a symlink is not followed): give a directory to restore into")
            }
            guard intoExisting else {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                if !names.isEmpty {
                    throw Problem(description: "\(path) is not empty (\(names.count) entries): restore into an empty or new directory, or add --into-existing")
                }
                break
            }
        }
        return RestoreDirectory(path: path)
    }

    public init(path: String) { self.path = path }

    /// Removes the directory if `prepare` made it and it is still empty (nothing was restored).
    public func removeIfUnused() {
        guard made else { return }
        _ = SystemCalls.rmdir(path)
    }

    /// Removes every partial file below the directory; returns how many.
    @discardableResult
    public func removePartials() -> Int {
        guard case .success(let root) = SystemCalls.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
            case .success(let status) = SystemCalls.fstat(root)
        else { return 0 }
        defer { SystemCalls.close(root) }
        return Self.walk(root, device: status.st_dev, onFile: { directory, name in
            guard RestoreInto.isPartialName(name) else { return 0 }
            return SystemCalls.unlinkat(directory, name, 0) == nil ? 1 : 0
        })
    }

    /// Regular files below the directory (what an interrupted restore left under final names).
    public func countFiles() -> Int {
        guard case .success(let root) = SystemCalls.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
            case .success(let status) = SystemCalls.fstat(root)
        else { return 0 }
        defer { SystemCalls.close(root) }
        return Self.walk(root, device: status.st_dev, onFile: { _, name in RestoreInto.isPartialName(name) ? 0 : 1 })
    }

    /// Visits every regular file below `directory` (no links followed, one file system); sums `onFile`.
    private static func walk(_ directory: Int32, device: UInt, onFile: (Int32, [UInt8]) -> Int) -> Int {
        // `directoryNames` takes the descriptor it reads (closedir): it gets a copy.
        guard case .success(let copy) = SystemCalls.dup(directory), case .success(let names) = SystemCalls.directoryNames(copy) else { return 0 }
        var total = 0
        for name in names {
            guard case .success(let status) = SystemCalls.lstatat(directory, name) else { continue }
            switch status.st_mode & S_IFMT {
            case S_IFREG:
                total += onFile(directory, name)
            case S_IFDIR where status.st_dev == device:
                guard case .success(let child) = SystemCalls.openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) else { continue }
                total += walk(child, device: device, onFile: onFile)
                SystemCalls.close(child)
            default:
                continue
            }
        }
        return total
    }
}
