import Foundation
import Glibc
import RestoreCheckCore
import RestoreCheckTestSupport
@testable import RestoreCheckWorker

/// Runs `RestoreWorker` in-process on a backup set, as the worker subprocess would, and keeps the
/// scratch directory for inspection. (End-to-end tests spawn the real worker; this keeps the many
/// format and finding tests fast.)
enum WorkerHarness {
    public struct Run {
        public var report: WorkerReport
        /// Files the worker left in scratch (the parent removes scratch; here the test looks first).
        public var restored: [String]
        /// Their permission bits as created.
        public var modes: [String: mode_t]
    }

    public static func run(
        archive: String, manifest: String?, sample: SampleSpec = SampleSpec(size: .all), seed: UInt64 = 1,
        limits: RestoreLimits = RestoreLimits(), scratchParent: TemporaryDirectory
    ) throws -> Run {
        // The worker process sets this first thing; libarchive needs it for UTF-8 names.
        setlocale(LC_CTYPE, "C.UTF-8")
        let scratch = try ScratchDirectory.create(under: scratchParent.url("scratch"), label: "test")
        let request = WorkerRequest(
            archivePath: archive, scratchPath: scratch.path, manifestPath: manifest, sample: sample, seed: seed,
            limits: limits)
        let report = RestoreWorker(request: request, progress: { _ in }).run()
        let restored = (FileManager.default.subpaths(atPath: scratch.path) ?? []).filter { path in
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: "\(scratch.path)/\(path)", isDirectory: &isDirectory)
            return !isDirectory.boolValue
        }
        var modes: [String: mode_t] = [:]
        for path in restored {
            var status = stat()
            if lstat("\(scratch.path)/\(path)", &status) == 0 { modes[path] = status.st_mode }
        }
        // Removed as the parent removes it; a failure here is the test's failure, never swallowed.
        try scratch.remove()
        return Run(report: report, restored: restored.sorted(), modes: modes)
    }
}

extension WorkerReport {
    /// The reasons of all findings, fatal first.
    public var reasons: Set<OutcomeReason> {
        Set(findings.map(\.reason) + (fatal.map { [$0.reason] } ?? []))
    }
}
