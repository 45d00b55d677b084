import Foundation

/// Which restore point a source locates: the newest one (a test's choice), or for `restorecheck
/// restore` the one `RestorePointVerdicts` chose by name (where `--before` and "passed its last
/// test" are decided, once).
public struct RestorePointChoice: Sendable {
    /// The names (`Outcome.archive`) a point may have; nil: any point.
    public var passed: Set<String>?

    public init(passed: Set<String>? = nil) {
        self.passed = passed
    }

    /// Any point, newest first: what a test takes.
    public static let newest = RestorePointChoice()

    /// Whether the point named `display`, taken at `time`, may be chosen.
    public func accepts(display: String, time: Date) -> Bool {
        guard let passed else { return true }
        return Self.matches(display, passed)
    }

    /// Whether a restore point named `display` is one of `names`. An object in a bucket is listed by
    /// its key but recorded with its version and ETag (`s3://b/k?versionId=…#etag`): the key matches.
    public static func matches(_ display: String, _ names: Set<String>) -> Bool {
        if names.contains(display) { return true }
        return names.contains { $0.hasPrefix(display + "?") || $0.hasPrefix(display + "#") }
    }
}

/// One restore point a source can list (`restorecheck restore --list-points`).
public struct ListedRestorePoint: Sendable, Hashable {
    /// As outcomes name it (an object: its key's URL, without version and ETag).
    public var display: String
    public var time: Date
    public var bytes: Int64?
}
