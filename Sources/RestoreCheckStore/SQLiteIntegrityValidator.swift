import Foundation
import GRDB
import RestoreCheckCore

/// `validate: check: sqlite`: `PRAGMA integrity_check` on the restored file (the first 20 problems
/// are reported). Here rather than in Core because this module links SQLite; the worker's command
/// hands it to `RestoreWorker` (`Validators(sqlite:)`).
///
/// It runs inside the restore worker, under its rlimits: a SQLite file is hostile input like the
/// archive it came from. SQLite is built to read damaged files without crashing; a file that is not a
/// database, or whose header or pages are damaged, is `validation_failed` with SQLite's message.
///
/// The restored file is opened read-only, except when its rollback journal came back beside it
/// (`name-journal`, not empty): a database copied mid-transaction with its hot journal, which
/// SQLite recovers by rolling the journal back, and that writes. Read-only, SQLite refuses ("attempt
/// to write a readonly database") and a recoverable backup would fail. So the pair is copied into a
/// private directory in scratch, checked read-write there (recovery included, as a restore would
/// open it), and the copy removed; the restored files stay as they came back. (A WAL file needs no
/// copy: SQLite reads a hot WAL read-only.)
public struct SQLiteIntegrityValidator: FileValidator {
    public init() {}

    public func validate(_ path: String, context: ValidationContext) -> (reason: OutcomeReason, detail: String)? {
        let journal = path + "-journal"
        let journalSize = (try? FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int64) ?? 0
        guard journalSize > 0 else { return check(path, readonly: true) }
        guard let directory = Self.privateDirectory(beside: path) else {
            return (.internalError, "cannot make a private copy to recover the hot journal: \(String(cString: strerror(errno)))")
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let copy = directory + "/db"
        do {
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            try FileManager.default.copyItem(atPath: journal, toPath: copy + "-journal")
        } catch {
            return (.internalError, "cannot make a private copy to recover the hot journal: \(error.localizedDescription)")
        }
        return check(copy, readonly: false)
    }

    private func check(_ path: String, readonly: Bool) -> (reason: OutcomeReason, detail: String)? {
        var configuration = Configuration()
        configuration.readonly = readonly
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let problems = try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check(20)") }
            try queue.close()
            return problems == ["ok"] ? nil : (.validationFailed, "integrity_check: " + problems.joined(separator: "; "))
        } catch let error as DatabaseError {
            return (.validationFailed, "SQLite: \(error.message ?? error.description)")
        } catch {
            return (.validationFailed, "SQLite: \(error)")
        }
    }

    /// A fresh directory (mode 0700) beside `path`, inside the test's scratch; nil with errno set.
    private static func privateDirectory(beside path: String) -> String? {
        var template = Array(((path as NSString).deletingLastPathComponent + "/.restorecheck-sqlite-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { return nil }
        return String(cString: template)
    }
}
