/// One `validate:` item: restored files whose entry name matches `match` are checked after they are
/// restored, by a built-in `check` or by a `command` run under bubblewrap (README "Application checks").
public struct ValidationRule: Sendable, Hashable, Codable {
    /// A glob over entry names: `*` and `?` within a path component, `**` across components
    /// (`**/*.sqlite`, `db/*.dump`); see `EntryGlob`.
    public var match: String
    /// Exactly one of `check` and `command` is set.
    public var check: BuiltInCheck?
    /// argv with placeholders (`SandboxedCommand.substitute`), never run through a shell.
    public var command: [String]?
    /// Wall-clock limit of a command (`validation_timeout` beyond it).
    public var timeout = TimeSpan(seconds: 600)

    public init(match: String, check: BuiltInCheck) {
        self.match = match
        self.check = check
    }

    public init(match: String, command: [String], timeout: TimeSpan = TimeSpan(seconds: 600)) {
        self.match = match
        self.command = command
        self.timeout = timeout
    }
}

/// A restored file a command rule matched, for the parent to run the command on before scratch is
/// removed (commands run outside the worker, each in its own sandbox).
public struct CommandCandidate: Sendable, Hashable, Codable {
    /// The entry name (UTF-8; other names are not handed to commands).
    public var name: String
    /// Index of the rule in `validate:`.
    public var rule: Int

    package init(name: String, rule: Int) {
        self.name = name
        self.rule = rule
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
    /// Well-formed XML (libxml2's reader: no network, no external entities, no entity expansion).
    case xml
    /// A nested archive (tar, zip, 7z, cpio, under any filter the worker reads), every member
    /// decoded to its end under the test's limits; one level deep.
    case archive
}
