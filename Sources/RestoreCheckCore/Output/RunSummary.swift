import Foundation

/// The outcomes of one `restorecheck run`, with the exit code they imply (contract).
public struct RunSummary: Sendable, Codable {
    public var results: [Outcome]
    public var passed: Int
    public var failed: Int
    public var errors: Int
    public var exitCode: Int32

    /// `0` every target passed · `1` at least one failed · `3` at least one could not be tested
    /// (error) and none failed. (`2`, usage or configuration, never reaches a summary.)
    public init(results: [Outcome]) {
        self.results = results
        passed = results.count { $0.status == .passed }
        failed = results.count { $0.status == .failed }
        errors = results.count { $0.status == .error }
        exitCode = failed > 0 ? 1 : (errors > 0 ? 3 : 0)
    }

    public func json() -> String {
        let data = (try? Outcome.jsonEncoder().encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// Exit codes of `restorecheck run` (contract; also printed in `--help`).
public enum ExitStatus {
    public static let passed: Int32 = 0
    public static let failed: Int32 = 1
    public static let usage: Int32 = 2
    public static let error: Int32 = 3
    /// Interrupted by SIGINT/SIGTERM before finishing (128 + SIGINT, the shell convention).
    public static let interrupted: Int32 = 130
}
