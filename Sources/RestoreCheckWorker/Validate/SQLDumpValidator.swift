import Foundation
import Glibc
import RestoreCheckCore

/// `sql_dump`: a plain SQL dump ends with its tool's completion trailer, written only after the last
/// row: pg_dump's `-- PostgreSQL database dump complete`, mysqldump's and mariadb-dump's
/// `-- Dump completed` (followed by a date unless `--skip-dump-date`). A dump cut short by a full
/// disk or a killed process lacks it.
///
/// A `pg_dumpall` cluster dump (its first lines say `-- PostgreSQL database cluster dump`) holds one
/// pg_dump per database, each with its own trailer: cut between two databases, its tail still ends
/// with a database's trailer. It is complete only with pg_dumpall's own
/// `-- PostgreSQL database cluster dump complete`.
struct SQLDumpValidator: FileValidator {
    static let trailers = ["-- PostgreSQL database dump complete", "-- Dump completed"]
    static let clusterHeader = "-- PostgreSQL database cluster dump"
    static let clusterTrailer = "-- PostgreSQL database cluster dump complete"
    /// The trailer sits within the last lines; 4 KiB leaves room for the session resets after it.
    /// The cluster header is within the first lines as well.
    static let tailSize = 4096

    func validate(_ path: String, context: ValidationContext) -> (reason: OutcomeReason, detail: String)? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return (.internalError, "cannot open the restored file") }
        defer { try? handle.close() }
        let head = String(decoding: (try? handle.read(upToCount: Self.tailSize)) ?? Data(), as: UTF8.self)
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > UInt64(Self.tailSize) ? size - UInt64(Self.tailSize) : 0)
        let tail = String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
        if head.contains(Self.clusterHeader + "\n") {
            if tail.contains(Self.clusterTrailer) { return nil }
            return (.validationFailed,
                    "a pg_dumpall cluster dump without '\(Self.clusterTrailer)' in its last \(Self.tailSize) bytes: "
                        + "it was cut short, perhaps between two databases (each database's own trailer does not complete a cluster dump)")
        }
        if Self.trailers.contains(where: { tail.contains($0) }) { return nil }
        return (.validationFailed,
                "no completion trailer in the last \(Self.tailSize) bytes: the dump was cut short "
                    + "(pg_dump ends with '-- PostgreSQL database dump complete', mysqldump and mariadb-dump with '-- Dump completed')")
    }
}

/// `json`: well-formed JSON (Foundation's parser), for files up to a quarter of the worker's memory
/// limit; a larger one is reported, not guessed at.
struct JSONValidator: FileValidator {
    func validate(_ path: String, context: ValidationContext) -> (reason: OutcomeReason, detail: String)? {
        let cap = context.limits.memoryBytes / 4
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), let size = attributes[.size] as? Int64 else {
            return (.internalError, "cannot read the restored file")
        }
        guard size <= cap else {
            return (.limitExceeded, "\(ByteCount.format(size)) is more than the json validator parses in memory (limits.memory / 4 = \(ByteCount.format(cap)))")
        }
        guard let data = FileManager.default.contents(atPath: path) else { return (.internalError, "cannot read the restored file") }
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            return (.validationFailed, "not well-formed JSON: \(detail)")
        }
    }
}
