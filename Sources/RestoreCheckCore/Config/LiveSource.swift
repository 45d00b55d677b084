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
