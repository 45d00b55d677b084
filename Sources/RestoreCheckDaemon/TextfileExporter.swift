import Foundation
import Glibc
import RestoreCheckCore
import RestoreCheckMetrics
import RestoreCheckStore

/// Writes the outcome metrics for node_exporter's textfile collector, for hosts that prefer a timer
/// to a daemon: `NAME.prom.tmp` then `rename(2)` to `NAME.prom`, so the collector never reads half a
/// file. Gauges only: a counter in a file rewritten by short-lived processes would count nothing.
public enum TextfileExporter {
    public static let fileName = "restorecheck.prom"

    /// Why the file could not be written, in the product's words: the path and the system's reason.
    public struct Failure: Error, CustomStringConvertible {
        public var path: String
        public var operation: String
        public var errno: Int32
        public var description: String { "cannot \(operation) \(path): \(String(cString: strerror(errno)))" }
    }

    public static func write(config: Config, store: HistoryStore?, outcomes: [Outcome], directory: String) throws {
        let metrics = OutcomeMetrics(version: "", includeCounters: false, includeBuildInfo: false)
        var seeds = try store.map(DaemonContext.seeds(from:)) ?? [:]
        // This run's outcomes win over history (history may be unavailable).
        for outcome in outcomes {
            var seed = seeds[outcome.target] ?? OutcomeMetrics.Seed(latest: nil, verified: nil)
            seed.latest = outcome
            seed.verified = VerifiedRestorePoint.folding(seed.verified, outcome)
            seeds[outcome.target] = seed
        }
        metrics.configure(targets: config.targets, seeds: seeds)
        metrics.configLoaded(successfully: true)
        let final = "\(directory)/\(fileName)"
        let temporary = final + ".tmp"
        var status = stat()
        guard stat(directory, &status) == 0 else { throw Failure(path: directory, operation: "use the directory", errno: errno) }
        guard (status.st_mode & S_IFMT) == S_IFDIR else { throw Failure(path: directory, operation: "use the directory", errno: ENOTDIR) }
        let bytes = metrics.exposition()
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(path: temporary, operation: "create", errno: errno) }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let writeErrno = errno
        close(fd)
        guard written == bytes.count else {
            unlink(temporary)
            throw Failure(path: temporary, operation: "write", errno: written < 0 ? writeErrno : EIO)
        }
        guard rename(temporary, final) == 0 else {
            let renameErrno = errno
            unlink(temporary)
            throw Failure(path: final, operation: "rename \(temporary) to", errno: renameErrno)
        }
    }
}
