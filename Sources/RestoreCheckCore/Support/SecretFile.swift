import Foundation
import Glibc

/// A small secret kept in `state_dir` (the report-signing key, the canary key): read if it exists,
/// else created with mode 0600 and `O_EXCL`, so two processes starting at once never replace each
/// other's key.
enum SecretFile {
    struct Failure: Error, CustomStringConvertible {
        var path: String
        var message: String
        var description: String { "\(path): \(message)" }
    }

    /// The file's text, or `make()`'s, written first.
    static func loadOrCreate(at path: String, make: () -> String) throws(Failure) -> String {
        if let data = FileManager.default.contents(atPath: path) { return String(decoding: data, as: UTF8.self) }
        let text = make()
        let fd: Int32
        switch SystemCalls.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) {
        case .success(let opened): fd = opened
        case .failure(let error) where error.rawValue == EEXIST: return try loadOrCreate(at: path, make: make)
        case .failure(let error): throw Failure(path: path, message: "cannot be created: \(error)")
        }
        defer { SystemCalls.close(fd) }
        if let error = Array(text.utf8).withUnsafeBytes({ SystemCalls.pwriteAll(fd, $0, at: 0) }) ?? SystemCalls.fsync(fd) {
            throw Failure(path: path, message: "cannot be written: \(error)")
        }
        return text
    }
}
