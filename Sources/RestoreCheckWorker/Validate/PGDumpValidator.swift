import Foundation
import RestoreCheckCore

/// `pg_dump`: a plain-format dump (SQL text) is judged by its completion trailer (`SQLDumpValidator`);
/// a PostgreSQL custom-format dump (`PGDMP`) is read through to its end by `pg_restore --file=/dev/null`,
/// which writes the script it would run and nothing else: every TOC entry and data block is read and
/// decompressed, so a dump cut short fails. `pg_restore --list` reads only the table of contents,
/// which pg_dump writes first, and would pass a truncated dump. Needs `pg_restore` (Debian's
/// `postgresql-client`); without it the test is `internal_error` and `check-config` says so.
public struct PGDumpValidator: FileValidator {
    /// The newest installed `pg_restore`, or nil.
    public static func locate() -> String? {
        let candidates = ["/usr/bin/pg_restore", "/usr/local/bin/pg_restore"]
            + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).sorted(by: >)
                .map { "/usr/lib/postgresql/\($0)/bin/pg_restore" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public func validate(_ path: String, context: ValidationContext) -> (reason: OutcomeReason, detail: String)? {
        let magic = FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 5) }
        guard magic == Data("PGDMP".utf8) else { return SQLDumpValidator().validate(path, context: context) }
        guard let tool = Self.locate() else { return (.internalError, "pg_restore is not installed (Debian: postgresql-client)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["--file=/dev/null", "--", path]
        process.environment = ["PATH": "/usr/bin:/bin", "LC_ALL": "C"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return (.internalError, "cannot run \(tool): \(error)") }
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus != 0 else { return nil }
        let message = String(decoding: output.prefix(4096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return (.validationFailed, "pg_restore could not read the dump to its end: \(message)")
    }
}
