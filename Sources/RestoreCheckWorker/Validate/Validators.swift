import RestoreCheckCore

/// The validators by name. This module has those that need only what it links; the worker's command
/// adds `sqlite` from the store module, which links SQLite (`RestoreWorker`'s caller decides).
public struct Validators: Sendable {
    var table: [BuiltInCheck: any FileValidator]

    public init(sqlite: (any FileValidator)? = nil) {
        table = [
            .sqlDump: SQLDumpValidator(), .json: JSONValidator(), .xml: XMLValidator(), .pgDump: PGDumpValidator(),
            .gzip: CompressedStreamValidator(filter: "gzip"), .xz: CompressedStreamValidator(filter: "xz"),
            .zstd: CompressedStreamValidator(filter: "zstd"), .archive: NestedArchiveValidator(),
        ]
        if let sqlite { table[.sqlite] = sqlite }
    }

    func validate(_ check: BuiltInCheck, _ path: String, context: ValidationContext) -> (reason: OutcomeReason, detail: String)? {
        guard let validator = table[check] else {
            return (.internalError, "the \(check.rawValue) validator is not available in this build")
        }
        return validator.validate(path, context: context)
    }
}
