import Foundation
import RestoreCheckCore

/// A fresh directory for one test, removed when the value is deinitialised.
public final class TemporaryDirectory: @unchecked Sendable {
    // @unchecked: `path` is immutable after init and the class has no other state.
    public let path: String

    public init(_ label: String = "test") {
        let base = ProcessInfo.processInfo.environment["RESTORECHECK_TEST_TMP"] ?? NSTemporaryDirectory()
        let template = "\(base)/rc-\(label)-XXXXXX"
        var bytes = Array(template.utf8CString)
        let made = bytes.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp \(template) failed")
        path = String(cString: bytes.map { UInt8(bitPattern: $0) })
    }

    deinit { try? ScratchDirectory(path: path).remove() }

    /// `path/relative`.
    public func url(_ relative: String) -> String { "\(path)/\(relative)" }

    /// Writes `contents` at `relative`, creating parent directories.
    @discardableResult
    public func write(_ relative: String, _ contents: String) throws -> String {
        try write(relative, Data(contents.utf8))
    }

    @discardableResult
    public func write(_ relative: String, _ data: Data) throws -> String {
        let full = url(relative)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: full))
        return full
    }

    /// Every file and directory below the root, relative, sorted (to prove what was or was not written).
    /// Listed by `find`, which reads raw names (Foundation skips names that are not UTF-8); such a
    /// name shows with U+FFFD.
    public func listing() -> [String] {
        guard let result = try? Shell.run("find . -mindepth 1 -printf '%P\\n'", in: path) else {
            return ["<cannot list \(path)>"]
        }
        return result.stdout.split(separator: "\n").map(String.init).sorted()
    }
}
