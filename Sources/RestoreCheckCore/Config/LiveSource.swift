/// `compare_with_source`: the live data a target backs up, read-only, to compare restored files with
/// (borgmatic's "spot check"), so a test without a manifest still compares content. Entry names are
/// joined to `path` (`tar -C /srv/data .` → `path: /srv/data`; a restic snapshot of `/srv/data`
/// → the directory its names are relative to).
public struct LiveSource: Sendable, Hashable, Codable {
    public var path: String
    /// Globs over names the backup leaves out on purpose (its excludes): never missing.
    public var exclude: [String] = []

    public init(path: String, exclude: [String] = []) {
        self.path = path
        self.exclude = exclude
    }
}

/// What a comparison with the live source found, besides its findings.
public struct LiveComparison: Sendable, Codable, Hashable {
    /// Restored files whose live copy has the same size and modification time: compared byte for byte.
    public var compared = 0
    /// Restored files whose live copy changed since the backup took it (another size or time): skipped.
    public var changed = 0
    /// Restored files with no live copy any more (deleted since): skipped.
    public var gone = 0
    /// Whether the live source was walked for files the backup lacks (needs the backup's start time).
    public var walked = false
    /// Live files the walk checked (older than the backup's start, not excluded).
    public var walkedFiles = 0

    public init() {}

    /// The outcome's note.
    public var summary: String {
        let sampled = compared + changed + gone
        let share = sampled == 0 ? 0 : Double(changed + gone) * 100 / Double(sampled)
        var text = "compared with the live source: \(compared) file(s) unchanged since the backup compared byte for byte; "
            + "\(changed) changed and \(gone) deleted since, skipped (\(String(format: "%.0f", share)) % of the sample)"
        text += walked
            ? "; \(walkedFiles) live file(s) older than the backup's start checked for presence in it"
            : "; files missing from the backup not checked (the restore point has no recorded start time: a repository snapshot has one)"
        return text
    }
}
