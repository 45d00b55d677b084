/// One `validate:` item: restored files whose entry name matches `match` are checked by `check`
/// after they are restored (README "Application checks").
public struct ValidationRule: Sendable, Hashable, Codable {
    /// A glob over entry names: `*` and `?` within a path component, `**` across components
    /// (`**/*.sqlite`, `db/*.dump`); see `EntryGlob`.
    public var match: String
    public var check: BuiltInCheck

    public init(match: String, check: BuiltInCheck) {
        self.match = match
        self.check = check
    }
}

/// The built-in validators (contract: the names are config).
public enum BuiltInCheck: String, Sendable, Hashable, Codable, CaseIterable {
    /// `PRAGMA integrity_check` on the file opened read-only (SQLite).
    case sqlite
    /// A PostgreSQL custom-format dump read through to its end by `pg_restore` (into no database).
    case pgDump = "pg_dump"
    /// A plain SQL dump ends with its tool's completion trailer (pg_dump, mysqldump, mariadb-dump).
    case sqlDump = "sql_dump"
    /// A single compressed stream decoded to its end, with its trailer checked.
    case gzip, xz, zstd
    /// Well-formed JSON.
    case json
}
