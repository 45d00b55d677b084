import Foundation

/// restic's and borg's command lines, environments and JSON, for one repository source: which
/// snapshot is the restore point (`snapshots --json` / `list --json`), the files it lists (`ls
/// --json` / `list --json-lines`), and the tool's own restore of it, whole or some paths (`restore`
/// / `extract`), which `RepositoryRestore` runs in its sandbox.
///
/// Every run is read-only on the repository (`--no-lock`, `--bypass-lock`), keeps no cache (`--no-cache`; borg's base
/// directory is the test's private work directory), and gets a minimal environment: `PATH`, `HOME`,
/// `LC_ALL`, `TZ=UTC` (borg prints local times without a zone) and the password's *source*, a file
/// path (`RESTIC_PASSWORD_FILE`) or a command (`BORG_PASSCOMMAND`), never the password itself, on
/// no command line and in no log or outcome.
struct RepositoryTool {
    let source: RepositorySource
    /// A private, fresh directory for the tool's own state (HOME, BORG_BASE_DIR).
    let workDirectory: String
    /// Size of its sandbox's `/tmp` and `/dev/shm` (`RestoreLimits.sandboxTmpfsBytes`).
    let tmpfsBytes: Int64
    /// One decoder for every line of a file listing (there is a line per file).
    private let lineDecoder = JSONDecoder()
    private struct ListingNode: Decodable {
        var type: String?
        var path: String?
        var size: Int64?
    }

    /// A regular file of a snapshot's listing.
    struct ListedFile: Equatable {
        /// As the tool names it on its command line (restic: `/dir/file`; borg: `dir/file`).
        var path: String
        /// As the restored tree names it, and the manifest does (`dir/file`).
        var name: String
        var size: Int64
    }

    init(source: RepositorySource, workDirectory: String, limits: RestoreLimits = RestoreLimits()) {
        self.source = source
        self.workDirectory = workDirectory
        self.tmpfsBytes = limits.sandboxTmpfsBytes
    }

    /// One snapshot (borg: archive).
    struct Snapshot: Equatable {
        /// restic's snapshot ID, or borg's archive name: what the other commands take.
        var id: String
        /// When it was taken (the restore point's time).
        var time: Date
        /// For outcomes: `restic:/srv/restic/acme#8fa4b680`, `borg:/srv/borg/globex::nightly-1`.
        var display: String
    }

    /// The executable, or nil when the tool is not installed.
    var executable: String? {
        if let binary = source.binary { return FileManager.default.isExecutableFile(atPath: binary) ? binary : nil }
        return ["/usr/bin", "/usr/local/bin", "/bin"].map { "\($0)/\(source.tool.rawValue)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    var environment: [String] {
        var variables = ["PATH=/usr/bin:/bin", "HOME=\(workDirectory)", "LC_ALL=C.UTF-8", "TZ=UTC"]
        switch source.tool {
        case .restic:
            if let file = source.passwordFile { variables.append("RESTIC_PASSWORD_FILE=\(file)") }
            // restic's S3 backend reads the keys from this file itself: they never pass through here.
            if let file = source.credentialsFile { variables.append("AWS_SHARED_CREDENTIALS_FILE=\(file)") }
        case .borg:
            variables += [
                "BORG_BASE_DIR=\(workDirectory)", "BORG_RELOCATED_REPO_ACCESS_IS_OK=no",
                // The base directory is fresh for every test, so every repository is "previously unknown" to
                // borg; its prompt would abort an unattended test of an unencrypted repository.
                "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes", "BORG_DISPLAY_PASSPHRASE=no",
            ]
            if let command = source.passcommand {
                variables.append("BORG_PASSCOMMAND=\(command)")
            } else if let file = source.passwordFile {
                // borg splits the command itself (shlex), no shell: quote the path for it.
                variables.append("BORG_PASSCOMMAND=cat -- '\(file.replacingAll("'", with: "'\"'\"'"))'")
            }
        }
        return variables
    }

    private var resticGlobal: [String] { ["--repo", source.repository, "--no-lock", "--no-cache"] }

    /// Lists the snapshots as JSON.
    var listArguments: [String] {
        switch source.tool {
        case .restic: resticGlobal + ["--json", "snapshots"]
        case .borg: ["--bypass-lock", "list", "--json", source.repository]
        }
    }

    /// Lists the files of `snapshot`, one JSON object per line.
    func filesArguments(_ snapshot: Snapshot) -> [String] {
        switch source.tool {
        case .restic: resticGlobal + ["--json", "ls", snapshot.id]
        case .borg: ["--bypass-lock", "list", "--json-lines", "\(source.repository)::\(snapshot.id)"]
        }
    }

    /// The snapshot `source.snapshot` selects from the listing; nil when none does. Throws when the
    /// listing is not the tool's JSON.
    func select(fromListing data: Data, choice: RestorePointChoice = .newest) throws -> Snapshot? {
        try snapshots(fromListing: data).filter { choice.accepts(display: $0.display, time: $0.time) }.max { $0.time < $1.time }
    }

    /// Every snapshot of the listing that `source.snapshot` selects. Throws when the listing is not
    /// the tool's JSON.
    func snapshots(fromListing data: Data) throws -> [Snapshot] {
        let candidates: [Snapshot]
        switch source.tool {
        case .restic:
            struct Entry: Decodable { var id: String; var short_id: String?; var time: String }
            candidates = try JSONDecoder().decode([Entry].self, from: data).compactMap { entry in
                guard source.snapshot == "latest" || entry.id.hasPrefix(source.snapshot) else { return nil }
                return Self.date(entry.time).map { Snapshot(id: entry.id, time: $0, display: "\(source.display)#\(entry.short_id ?? String(entry.id.prefix(8)))") }
            }
        case .borg:
            struct Entry: Decodable { var name: String; var start: String }
            struct Listing: Decodable { var archives: [Entry] }
            candidates = try JSONDecoder().decode(Listing.self, from: data).archives.compactMap { entry in
                guard source.snapshot == "latest" || SystemCalls.globMatches(source.snapshot, entry.name) else { return nil }
                return Self.date(entry.start).map { Snapshot(id: entry.name, time: $0, display: "\(source.display)::\(entry.name)") }
            }
        }
        return candidates
    }

    /// One line of the file listing, when it is a regular file (restic: `"type":"file"`; borg: `"type":"-"`).
    func regularFile(listingLine line: Data) -> ListedFile? {
        guard let node = try? lineDecoder.decode(ListingNode.self, from: line), node.type == (source.tool == .restic ? "file" : "-"),
            let path = node.path
        else { return nil }
        return ListedFile(path: path, name: String(path.drop { $0 == "/" }), size: max(0, node.size ?? 0))
    }

    /// The path of a listing line's device node (restic's `chardev` or `dev`), or nil.
    func deviceNode(listingLine line: Data) -> String? {
        guard source.tool == .restic, let node = try? lineDecoder.decode(ListingNode.self, from: line),
            node.type == "chardev" || node.type == "dev"
        else { return nil }
        return node.path
    }

    /// The paths restic names in "ignoring error for PATH: operation not permitted" when those are
    /// all its errors ("There were N errors" counts them), else nil: what the sandbox's missing
    /// `CAP_MKNOD` makes of a device node, and only that.
    static func permissionFailures(inResticErrors output: String) -> [String]? {
        var paths: [String] = []
        var counted: Int?
        for line in output.split(separator: "\n") {
            if line.hasPrefix("ignoring error for "), line.hasSuffix(": operation not permitted") {
                paths.append(String(line.dropFirst("ignoring error for ".count).dropLast(": operation not permitted".count)))
            } else if line.hasPrefix("Fatal: There were "), line.hasSuffix(" errors") || line.hasSuffix(" error") {
                counted = Int(line.dropFirst("Fatal: There were ".count).prefix { $0.isNumber })
            } else if line.hasPrefix("ignoring error for ") || line.hasPrefix("Fatal:") {
                return nil
            }
        }
        guard !paths.isEmpty, counted == paths.count else { return nil }
        return paths
    }

    /// Restores `snapshot` (only `paths`, as the listing names them, when given) into `directory`,
    /// which is also the working directory (borg extracts there). Each path is matched literally:
    /// restic's `--include` takes a glob, so its metacharacters are escaped; borg's positional paths
    /// take a pattern style prefix, so each gets `pp:` (path prefix, literal).
    func restoreArguments(_ snapshot: Snapshot, into directory: String, paths: [String]?) -> [String] {
        switch source.tool {
        case .restic:
            return resticGlobal + ["restore", snapshot.id, "--target", directory]
                + (paths ?? []).flatMap { ["--include", Self.escapeGlob($0)] }
        case .borg:
            return ["--bypass-lock", "extract", "\(source.repository)::\(snapshot.id)"] + (paths ?? []).map { "pp:" + $0 }
        }
    }

    /// A name as a literal glob (restic's filter, Go's `filepath.Match`: `\\` escapes).
    static func escapeGlob(_ name: String) -> String {
        var escaped = ""
        for character in name {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// A command line split as borg splits `BORG_PASSCOMMAND` (Python's `shlex.split`, POSIX rules:
    /// blanks separate, single quotes are literal, double quotes and backslashes escape; no shell).
    static func split(_ command: String) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escaping = false
        for character in command {
            if escaping {
                word.append(character)
                escaping = false
            } else if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\" && open == "\"" {
                    escaping = true
                } else {
                    word.append(character)
                }
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character == "\\" {
                escaping = true
                inWord = true
            } else if character.isWhitespace {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(character)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }

    /// A program named without a directory, looked up as the tools' `PATH` would (`/usr/bin:/bin`).
    static func resolve(_ program: String) -> String {
        guard !program.contains("/") else { return program }
        return ["/usr/bin", "/bin", "/usr/local/bin"].map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? program
    }

    /// restic's RFC 3339 times with nanoseconds and a zone; borg's ISO times without a zone, in UTC
    /// (`TZ=UTC` in its environment).
    static func date(_ text: String) -> Date? {
        var trimmed = text
        // ISO8601DateFormatter takes at most milliseconds: drop the rest of the fraction.
        if let dot = trimmed.firstIndex(of: ".") {
            let digits = trimmed[trimmed.index(after: dot)...].prefix { $0.isNumber }
            trimmed.replaceSubrange(dot..<trimmed.index(dot, offsetBy: digits.count + 1), with: "." + digits.prefix(3).padding(toLength: 3, withPad: "0", startingAt: 0))
        }
        if !(trimmed.hasSuffix("Z") || trimmed.dropFirst(19).contains("+") || trimmed.dropFirst(19).contains("-")) { trimmed += "Z" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: trimmed) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text.hasSuffix("Z") ? text : text + "Z")
    }
}
