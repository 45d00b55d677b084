import Foundation

/// Checks one restored file in scratch. Runs in the restore worker, under its rlimits and deadline:
/// the file is as hostile as the archive it came from.
public protocol FileValidator: Sendable {
    /// Nil when the file passes; otherwise the finding's reason (`validation_failed`, or
    /// `limit_exceeded` for a bomb, `internal_error` when the check could not run) and detail.
    func validate(_ path: String, limits: RestoreLimits) -> (reason: OutcomeReason, detail: String)?
}

/// The validators by name. Core has those that need only what Core links; the worker's command adds
/// `sqlite` from the store module, which links SQLite (`RestoreWorker`'s caller decides).
public struct Validators: Sendable {
    var table: [BuiltInCheck: any FileValidator]

    public init(sqlite: (any FileValidator)? = nil) {
        table = [
            .sqlDump: SQLDumpValidator(), .json: JSONValidator(), .pgDump: PGDumpValidator(),
            .gzip: CompressedStreamValidator(filter: "gzip"), .xz: CompressedStreamValidator(filter: "xz"),
            .zstd: CompressedStreamValidator(filter: "zstd"),
        ]
        if let sqlite { table[.sqlite] = sqlite }
    }

    func validate(_ check: BuiltInCheck, _ path: String, limits: RestoreLimits) -> (reason: OutcomeReason, detail: String)? {
        guard let validator = table[check] else {
            return (.internalError, "the \(check.rawValue) validator is not available in this build")
        }
        return validator.validate(path, limits: limits)
    }
}
