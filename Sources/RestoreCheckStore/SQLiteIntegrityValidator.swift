import GRDB
import RestoreCheckCore

/// `validate: check: sqlite`: the restored file opened read-only and `PRAGMA integrity_check` run on
/// it (the first 20 problems are reported). Here rather than in Core because this module links
/// SQLite; the worker's command hands it to `RestoreWorker` (`Validators(sqlite:)`).
///
/// It runs inside the restore worker, under its rlimits: a SQLite file is hostile input like the
/// archive it came from. SQLite is built to read damaged files without crashing; a file that is not a
/// database, or whose header or pages are damaged, is `validation_failed` with SQLite's message.
public struct SQLiteIntegrityValidator: FileValidator {
    public init() {}

    public func validate(_ path: String, context: ValidationContext) -> (reason: OutcomeReason, detail: String)? {
        var configuration = Configuration()
        configuration.readonly = true
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
}
